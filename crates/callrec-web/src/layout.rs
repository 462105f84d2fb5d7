//! The frame around every signed-in page: top bar and left-hand menu.

use crate::account::PasswordForm;
use crate::error::AppError;
use crate::mfa::MyMfa;
use crate::session::CurrentUser;
use crate::urls::Route;
use callrec_domain::recovery::should_prompt;
use callrec_domain::zone::Zone;
use callrec_domain::MenuItem;
use callrec_domain::ValidationError;

/// One `<option>` of a dropdown, decided in Rust so templates stay simple.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// Options from `(value, label)` pairs, marking the one equal to `selected`.
    pub fn list<V: ToString + PartialEq>(
        items: impl IntoIterator<Item = (V, String)>,
        selected: Option<&V>,
    ) -> Vec<Choice> {
        items
            .into_iter()
            .map(|(value, label)| Choice {
                selected: selected == Some(&value),
                value: value.to_string(),
                label,
            })
            .collect()
    }
}

/// An Add or Rename pop-up with one name field (teams, companies), with
/// what was typed and what was wrong.
pub(crate) struct NameDialog {
    pub prefix: &'static str,
    pub title: String,
    /// The field's label, e.g. "Team name".
    pub label: &'static str,
    pub action: String,
    pub name: String,
    pub error: Option<String>,
    pub open: bool,
    /// The company the page shows, kept across the Save.
    pub company: Option<i64>,
}

impl NameDialog {
    /// The dialog again with the message of `err`, when it is a mistake the
    /// user can fix (a bad or taken name); any other error goes on up.
    pub fn refused(mut self, err: AppError) -> Result<NameDialog, AppError> {
        match err {
            AppError::Invalid(ValidationError { message, .. }) | AppError::Conflict(message) => {
                self.error = Some(message);
                self.open = true;
                Ok(self)
            }
            other => Err(other),
        }
    }
}

/// The options of a time zone dropdown: `default_label` (the value "")
/// first, then every zone; `selected` is the saved name, or "" for the
/// default.
pub(crate) fn zone_choices(default_label: String, selected: &str) -> Vec<Choice> {
    let mut zones = vec![Choice {
        value: String::new(),
        label: default_label,
        selected: selected.is_empty(),
    }];
    zones.extend(Choice::list(
        Zone::names().into_iter().map(|n| (n.clone(), n)),
        Some(&selected.to_string()),
    ));
    zones
}

pub struct MenuLink {
    pub label: &'static str,
    pub path: &'static str,
    pub current: bool,
}

/// What `layout.html` needs; every page template carries one as `chrome`.
pub struct Chrome {
    pub title: String,
    pub user_name: String,
    pub company_name: String,
    pub menu: Vec<MenuLink>,
    pub notice: Option<&'static str>,
    /// The My MFA button and pop-up, for users who may manage their own MFA.
    pub my_mfa: Option<MyMfa>,
    /// The My account pop-up's Change password fields (every user).
    pub my_account: Option<PasswordForm>,
    /// Where the top bar's pop-ups return to after Save.
    pub return_to: &'static str,
    /// The time zone times are shown in.
    pub zone: String,
    /// The date MFA becomes required, for a user in the grace period.
    pub mfa_from: Option<String>,
    /// Just signed in with a recovery code: how many are left.
    pub recovery_left: Option<RecoveryLeft>,
}

/// The page after a recovery code signed in.
pub struct RecoveryLeft {
    pub left: i64,
    /// Few are left: make new ones.
    pub prompt: bool,
}

impl Chrome {
    /// `current` is the menu entry this page belongs to, if any.
    pub fn new(user: &CurrentUser, title: impl Into<String>, current: Option<MenuItem>) -> Chrome {
        let return_to = current.map_or(Route::Home.path(), MenuItem::path);
        Chrome {
            title: title.into(),
            user_name: user.user.display_name.clone(),
            company_name: user.user.company_name.clone(),
            menu: user
                .actor
                .menu()
                .into_iter()
                .map(|item| MenuLink {
                    label: item.label(),
                    path: item.path(),
                    current: Some(item) == current,
                })
                .collect(),
            notice: notice_text(&user.done),
            recovery_left: (user.done == "recovery-code-used").then(|| {
                let left = user.user.recovery_codes_left;
                RecoveryLeft {
                    left,
                    prompt: should_prompt(left),
                }
            }),
            my_mfa: MyMfa::for_user(&user.user, return_to),
            my_account: Some(PasswordForm::blank("my-account", true)),
            return_to,
            zone: user.zone.name().to_string(),
            mfa_from: user
                .user
                .company_mfa_deadline
                .filter(|_| user.user.in_grace(user.now))
                .map(|deadline| user.zone.format_minutes(deadline)),
        }
    }
}

/// The Company dropdown of a Global user's page, with `selected` marked;
/// empty for everyone else (they see their own company only).
pub(crate) async fn company_choices(
    state: &crate::AppState,
    global: bool,
    selected: Option<i64>,
) -> Result<Vec<Choice>, crate::error::AppError> {
    if !global {
        return Ok(Vec::new());
    }
    let all = state.store.list_companies().await?;
    Ok(Choice::list(
        all.into_iter().map(|c| (c.id.0, c.name)),
        selected.as_ref(),
    ))
}

/// Messages after a redirect are named by code, so a link cannot make the
/// portal display words of an attacker's choosing.
pub(crate) fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "user-created" => "User added.",
        "user-saved" => "Changes saved.",
        "team-created" => "Team added.",
        "team-saved" => "Team saved.",
        "token-revoked" => "API token revoked: requests with it are refused from now on.",
        "mfa-saved" => "Company MFA saved.",
        "mfa-reset" => "MFA reset: the user registers again at their next sign-in, and their sessions have ended.",
        "my-mfa-saved" => "Your MFA settings are saved.",
        "settings-saved" => "Company settings saved.",
        "retention-scheduled" => "Company settings saved. The shorter retention takes effect after the notice period.",
        "retention-cancelled" => "The change of retention was cancelled.",
        "company-saved" => "Company saved.",
        "recovery-codes-unsaved" => "You did not confirm that you saved your recovery codes. If you did not, make new ones: My MFA → New recovery codes.",
        "key-added" => "Security key added: it signs you in from now on.",
        "key-removed" => "Security key removed.",
        "reminders-sent" => "Reminders are on their way to the users who have not registered yet (those with an email address).",
        "clock-fast" => "Your phone's clock looks about 30 seconds fast: your last three codes were a step early. They still work; to keep it that way, let the phone set its time automatically (Settings → Date & time → Set automatically).",
        "clock-slow" => "Your phone's clock looks about 30 seconds slow: your last three codes were a step late. They still work; to keep it that way, let the phone set its time automatically (Settings → Date & time → Set automatically).",
        "time-zone-saved" => "Your time zone is saved.",
        "password-changed" => "Password changed. Your other sessions have ended.",
        "password-chosen" => "Your new password is saved.",
        "recording-deleted" => "Recording moved to Deleted recordings: it can be restored there until it is removed for good.",
        "recording-restored" => "Recording restored: it is back in Recordings.",
        "hold-placed" => "Legal hold placed: this recording cannot be deleted or purged until the hold is released.",
        "hold-released" => "Legal hold released.",
        "selected-held" => "Legal hold placed on the selected recordings (those already on hold keep their reason).",
        "selected-deleted" => "The selected recordings moved to Deleted recordings: they can be restored there until they are removed for good.",
        "selected-deleted-held-kept" => "The selected recordings moved to Deleted recordings, except those on legal hold, which nobody can delete until the hold is released.",
        "selected-tagged" => "The tag is on the selected recordings.",
        "tags-saved" => "Tags saved.",
        "tag-added" => "Tag added: it can now be put on recordings.",
        "tag-removed" => "Tag removed from the list and from every recording.",
        "source-added" => "Recording source added: its calls are taken from now on.",
        "source-removed" => "Recording source removed: new calls from it are refused; calls in progress finish.",
        "numbers-added" => "Numbers added: captured calls to and from them count as this company's.",
        "transcript-queued" => "Transcript queued: it appears here when the speech engine has heard the call.",
        "transcription-saved" => "Transcription saved.",
        "transcription-queued" => "Transcription saved: the calls of those days are queued (progress below).",
        "redaction-saved" => "Redaction saved: it applies to transcripts made from now on.",
        "sso-saved" => "Single sign-on saved: people of its email domains can now sign in through your identity provider.",
        "sso-linked" => "Single sign-on linked: you can now use Sign in with single sign-on.",
        "sso-unavailable" => "Single sign-on is not available for your company right now. Try again later.",
        "sso-off" => "Single sign-on turned off: everyone signs in with a password again.",
        "sso-account-created" => "Welcome: your account was created when you signed in through your company's identity provider. You are Staff with the Agent preset; ask your administrator if you need more.",
        "numbers-removed" => "Numbers removed: new captured calls with them no longer count as this company's.",
        "note-added" => "Note added: everyone who can see this recording can read it.",
        "note-changed" => "Note changed.",
        "note-deleted" => "Note deleted.",
        "note-locked" => "That note can no longer be changed: a note can be edited or deleted by its author for 24 hours.",
        "hold-unchanged" => "Nothing changed: someone else placed or released the hold meanwhile. The hold as it stands is shown below.",
        "holds-placed" => "Legal hold placed on every recording matching the search (those already held keep their reason). The audit log records how many.",
        "holds-released" => "Legal hold released on every recording matching the search. The audit log records how many.",
        _ => return None,
    })
}
