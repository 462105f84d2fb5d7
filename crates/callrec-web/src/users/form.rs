//! What the Add user and Modify pop-ups show: choices, values and errors.

use crate::error::AppError;
use crate::form::FormData;
use crate::layout::Choice;
use crate::urls::Route;
use crate::AppState;
use callrec_domain::permissions::DataScope;
use callrec_domain::role::RolePreset;
use callrec_domain::{Actor, Level, Role, RoleSet, ValidationError};
use callrec_store::User;

/// A team in the Team dropdown.
#[derive(Debug, Clone)]
pub(crate) struct TeamOption {
    pub id: i64,
    pub company_id: i64,
    pub label: String,
}

/// The choices an actor has when adding or changing users.
#[derive(Debug, Clone)]
pub(crate) struct FormOptions {
    pub levels: Vec<Level>,
    pub teams: Vec<TeamOption>,
    /// Companies users may be added to; one unless the actor is Global.
    pub companies: Vec<(i64, String)>,
}

impl FormOptions {
    pub async fn load(state: &AppState, actor: &Actor) -> Result<FormOptions, AppError> {
        let teams = match actor.scope() {
            DataScope::Everything => state.store.list_teams(None).await?,
            DataScope::Company(company) => state.store.list_teams(Some(company)).await?,
            DataScope::Team(company, team) => {
                state.store.team(company, team).await?.into_iter().collect()
            }
            DataScope::OwnOnly(_) => Vec::new(),
        };
        let global = actor.scope() == DataScope::Everything;
        let companies = if global {
            state.store.list_companies().await?
        } else {
            state
                .store
                .company(actor.company_id)
                .await?
                .into_iter()
                .collect()
        };
        Ok(FormOptions {
            levels: Level::ALL
                .into_iter()
                .filter(|l| *l <= actor.level)
                .collect(),
            teams: teams
                .into_iter()
                .filter(|team| team.enabled)
                .map(|team| TeamOption {
                    id: team.id.0,
                    company_id: team.company_id.0,
                    label: if global {
                        format!("{} · {}", team.company_name, team.name)
                    } else {
                        team.name
                    },
                })
                .collect(),
            companies: companies.into_iter().map(|c| (c.id.0, c.name)).collect(),
        })
    }
}

/// One role in the Available or Assigned listbox. `locked` roles are ones
/// the actor does not hold and so cannot move.
#[derive(Debug, Clone)]
pub(crate) struct RoleOption {
    pub code: &'static str,
    pub name: &'static str,
    pub order: usize,
    pub locked: bool,
}

fn role_options(actor: &Actor, roles: &RoleSet) -> Vec<RoleOption> {
    Role::ALL
        .iter()
        .enumerate()
        .filter(|(_, role)| roles.contains(**role))
        .map(|(order, role)| RoleOption {
            code: role.code(),
            name: role.name(),
            order,
            locked: !actor.can(*role),
        })
        .collect()
}

/// Validation messages by field.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldErrors(Vec<ValidationError>);

impl FieldErrors {
    pub fn push(&mut self, error: ValidationError) {
        self.0.push(error);
    }

    /// The value, or `None` with the error recorded.
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Errors of fields on the Roles tab, shown above the listboxes.
    pub fn roles(&self) -> Option<&str> {
        self.get("roles")
    }
}

/// The state of an Add user or Modify pop-up.
#[derive(Debug, Clone)]
pub(crate) struct UserForm {
    /// Prefix of element ids, so two pop-ups can share a page.
    pub prefix: &'static str,
    pub action: String,
    pub title: String,
    pub is_new: bool,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub extension: String,
    pub level: &'static str,
    pub team_id: Option<i64>,
    pub company_id: i64,
    pub company_name: String,
    pub enabled: bool,
    pub is_self: bool,
    pub levels: Vec<(&'static str, &'static str)>,
    pub teams: Vec<TeamOption>,
    pub companies: Vec<(i64, String)>,
    pub available: Vec<RoleOption>,
    pub assigned: Vec<RoleOption>,
    pub errors: FieldErrors,
    pub roles_tab_selected: bool,
    /// The Role preset dropdown (Add user; empty for Modify).
    pub presets: Vec<PresetChoice>,
}

/// An option of the Role preset dropdown.
#[derive(Debug, Clone)]
pub(crate) struct PresetChoice {
    pub code: &'static str,
    pub label: &'static str,
    /// Role codes, space-separated (none for Custom).
    pub roles: String,
    pub selected: bool,
}

/// The Role preset dropdown of Add user: each preset with the roles it
/// assigns (those the actor holds), for the script that fills the Roles tab.
fn preset_choices(actor: &Actor, chosen: RolePreset) -> Vec<PresetChoice> {
    RolePreset::ALL
        .into_iter()
        .map(|preset| PresetChoice {
            code: preset.code(),
            label: preset.label(),
            roles: preset_roles(actor, preset)
                .map(|roles| roles.iter().map(Role::code).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            selected: preset == chosen,
        })
        .collect()
}

/// The roles `preset` gives that `actor` may give (only roles one holds
/// can be assigned); `None` for Custom.
pub(crate) fn preset_roles(actor: &Actor, preset: RolePreset) -> Option<RoleSet> {
    Some(
        preset
            .roles()?
            .iter()
            .filter(|role| actor.roles.contains(*role))
            .collect(),
    )
}

impl UserForm {
    pub fn add(actor: &Actor, options: &FormOptions) -> UserForm {
        // New users start as Agents (the roles of it the actor holds).
        let assigned = preset_roles(actor, RolePreset::Agent).unwrap_or_default();
        let available: RoleSet = actor
            .roles
            .iter()
            .filter(|r| !assigned.contains(*r))
            .collect();
        UserForm {
            prefix: "add",
            action: Route::Users.path().into(),
            title: "Add user".into(),
            is_new: true,
            username: String::new(),
            display_name: String::new(),
            email: String::new(),
            extension: String::new(),
            level: Level::Staff.code(),
            team_id: None,
            company_id: actor.company_id.0,
            company_name: String::new(),
            enabled: true,
            is_self: false,
            levels: options
                .levels
                .iter()
                .map(|l| (l.code(), l.label()))
                .collect(),
            teams: options.teams.clone(),
            companies: options.companies.clone(),
            // Only roles the actor holds are offered for a new user.
            available: role_options(actor, &available),
            assigned: role_options(actor, &assigned),
            errors: FieldErrors::default(),
            roles_tab_selected: false,
            presets: preset_choices(actor, RolePreset::Agent),
        }
    }

    pub fn edit(actor: &Actor, target: &User, options: &FormOptions) -> UserForm {
        UserForm {
            prefix: "edit",
            action: format!("/users/{}", target.id),
            title: format!("Modify {}", target.username),
            is_new: false,
            username: target.username.clone(),
            display_name: target.display_name.clone(),
            email: target.email.clone().unwrap_or_default(),
            extension: target
                .extension
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            level: target.level.code(),
            team_id: target.team_id.map(|t| t.0),
            company_id: target.company_id.0,
            company_name: target.company_name.clone(),
            enabled: target.enabled,
            is_self: target.id == actor.user_id,
            levels: options
                .levels
                .iter()
                .map(|l| (l.code(), l.label()))
                .collect(),
            teams: options
                .teams
                .iter()
                .filter(|team| team.company_id == target.company_id.0)
                .cloned()
                .collect(),
            companies: Vec::new(),
            available: role_options(actor, &target.roles.complement()),
            assigned: role_options(actor, &target.roles),
            errors: FieldErrors::default(),
            roles_tab_selected: false,
            presets: Vec::new(),
        }
    }

    /// Shows what was submitted again, with the errors found in it.
    pub fn resubmitted(
        mut self,
        actor: &Actor,
        submitted: &FormData,
        assigned: &RoleSet,
        errors: FieldErrors,
    ) -> UserForm {
        if self.is_new {
            self.username = submitted.get("username").to_string();
            if let Ok(company) = submitted.get("company").parse() {
                self.company_id = company;
            }
        }
        self.display_name = submitted.get("display_name").to_string();
        self.email = submitted.get("email").to_string();
        self.extension = submitted.get("extension").to_string();
        if let Ok(level) = Level::parse(submitted.get("level")) {
            self.level = level.code();
        }
        self.team_id = submitted.get("team").parse().ok();
        self.enabled = self.is_new || submitted.checked("enabled");
        let offered = if self.is_new {
            actor.roles.clone()
        } else {
            RoleSet::all()
        };
        let available: RoleSet = offered.iter().filter(|r| !assigned.contains(*r)).collect();
        self.available = role_options(actor, &available);
        self.assigned = role_options(actor, assigned);
        self.roles_tab_selected = errors.roles().is_some() && errors.0.len() == 1;
        if self.is_new {
            let chosen = RolePreset::parse(submitted.get("preset")).unwrap_or(RolePreset::Custom);
            self.presets = preset_choices(actor, chosen);
        }
        self.errors = errors;
        self
    }

    pub fn level_choices(&self) -> Vec<Choice> {
        let levels = self
            .levels
            .iter()
            .map(|(code, label)| (*code, label.to_string()));
        Choice::list(levels, Some(&self.level))
    }

    pub fn team_choices(&self) -> Vec<Choice> {
        let teams = self.teams.iter().map(|team| (team.id, team.label.clone()));
        Choice::list(teams, self.team_id.as_ref())
    }

    pub fn company_choices(&self) -> Vec<Choice> {
        Choice::list(self.companies.clone(), Some(&self.company_id))
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}
