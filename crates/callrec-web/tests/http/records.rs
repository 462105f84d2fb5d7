//! Recordings as records over HTTP (issue 13): Company settings →
//! Retention with its preview and confirm, Kept until, legal hold on a
//! recording and on a search, Deleted recordings and Restore, and Download
//! selected as a ZIP with its manifest.

use crate::harness::*;
use crate::recordings::{metadata, token_for, upload, wav};
use callrec_app::records::purge::Purge;
use callrec_app::Clock;
use callrec_domain::zone::Zone;
use callrec_store::{backend_tests, AuditQuery};
use serde_json::Value;
use std::io::Read;

/// 2027-06-01 12:00 UTC: the calls below, from 2026-11-20 on, are over six
/// months old.
const LATER: i64 = 1_811_851_200;

/// Uploads a call of `username` starting at `started` (RFC 3339) and
/// returns its id.
async fn call(app: &TestApp, token: &str, username: &str, started: &str, n: usize) -> String {
    let mut meta = metadata(username);
    meta["started_at"] = Value::from(started);
    meta["external_id"] = Value::from(format!("call-{n}"));
    let (status, body) = upload(app, token, meta, wav(200 + n), "a.wav").await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    let query = AuditQuery {
        action: Some(action.into()),
        limit: 50,
        ..AuditQuery::default()
    };
    app.store
        .audit_entries(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} | {}", e.target.unwrap_or_default(), e.details))
        .collect()
}

pub(crate) async fn run_purge(app: &TestApp) -> callrec_app::records::purge::PurgeReport {
    let zone = Zone::utc();
    let purge = Purge {
        store: &app.store,
        blobs: &app.blobs,
        settings: app.config.records,
        default_zone: &zone,
        clock: &app.clock,
        holder: "test",
        batch: 500,
    };
    purge.run(|_| {}).await.unwrap().unwrap()
}

/// The files in a ZIP, by name, and its manifest's lines.
fn unzip(bytes: &[u8]) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = Vec::new();
    let mut manifest = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if file.name() == "manifest.csv" {
            // Every cell is quoted; the checks below read them bare.
            manifest = String::from_utf8(data)
                .unwrap()
                .lines()
                .map(|line| line.replace("\",\"", ",").trim_matches('"').to_string())
                .collect();
        } else {
            files.push((file.name().to_string(), data));
        }
    }
    (files, manifest)
}

backend_tests! {
    /// A shorter period shows how many recordings the next run deletes and
    /// asks before saving; saved, it is audited, each row says when it
    /// goes, and the purge job deletes exactly those.
    async fn retention_is_previewed_confirmed_audited_and_applied(db) {
        let app = spawn_app_on(db, test_config(), Clock::manual(LATER)).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let old = call(&app, &token, "acme.agent", "2026-11-20T09:30:00Z", 1).await;
        let older = call(&app, &token, "acme.agent", "2026-10-01T09:30:00Z", 2).await;
        let recent = call(&app, &token, "acme.agent", "2027-05-20T09:30:00Z", 3).await;
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains("<label for=\"company-retention\">Retention</label>") && page.contains("value=\"forever\" selected"), "Keep forever by default");
        for option in ["3 months", "6 months", "12 months", "7 years", "A number of days", "Keep forever"] {
            assert!(page.contains(&format!(">{option}</option>")), "{option}");
        }
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains("Kept until") && page.contains("Forever"));

        // Bad days: refused, nothing saved.
        let (status, page) = admin.post_text("/company-settings", &[("retention", "days"), ("retention_days", "0")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Type a number of days from 1 to 36500."), "{page}");

        // 6 months: two recordings are older. Asked first, not saved.
        let (status, page) = admin.post_text("/company-settings", &[("time_zone", ""), ("retention", "6m")]).await;
        assert_eq!(status, 200);
        assert!(page.contains("Delete 2 recordings?") && page.contains("Save and delete") && page.contains("after 7 days' notice"), "{page}");
        assert_eq!(app.store.company(seed.acme.id).await.unwrap().unwrap().retention.code(), "forever");
        // Confirmed: then "Confirm it's you" (a stolen session must not
        // destroy recordings; security review, wave 2, item 1) once the
        // sign-in is minutes old.
        let admin = app.as_unconfirmed_user("acme.admin").await;
        let form = [("time_zone", ""), ("retention", "6m"), ("confirm", "1")];
        let (status, page) = admin.post_text("/company-settings", &form).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm it's you") && page.contains("You are shortening how long the company keeps its recordings."), "{page}");
        let (status, _) = admin.post_text("/company-settings", &[form[0], form[1], form[2], ("confirming", "1"), ("proof", "wrong")]).await;
        assert_eq!(status, 422);
        assert!(app.store.company(seed.acme.id).await.unwrap().unwrap().retention_pending.is_none(), "nothing on a wrong password");
        let response = admin.post("/company-settings", &[form[0], form[1], form[2], ("confirming", "1"), ("proof", PASSWORD)]).await;
        assert_eq!(location(&response), "/company-settings?done=retention-scheduled");
        let acme = app.store.company(seed.acme.id).await.unwrap().unwrap();
        assert_eq!(acme.retention.code(), "forever", "in force until the notice is over");
        let pending = acme.retention_pending.unwrap();
        assert_eq!((pending.period.code(), pending.from), ("6m".to_string(), LATER + 7 * 86_400));
        let changes = audit_details(&app, "company.settings_changed").await;
        assert!(changes.iter().any(|c| c.contains("retention Keep forever → 6 months, in force 2027-06-08 12:00:00 (2 recordings due for deletion then)")), "{changes:?}");
        let (_, page) = admin.get_text("/company-settings").await;
        assert!(page.contains("Shorter retention takes effect on 2027-06-08 12:00 (UTC)") && page.contains(">Cancel change</button>"), "{page}");
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains(">2027-11-20</td>"), "the recent call is kept through six months after it");
        assert!(page.contains(">2027-06-08</td>"), "older calls go when the notice is over");

        // Until then the purge keeps the period in force.
        assert_eq!(run_purge(&app).await.expired, 0);
        app.clock.advance(7 * 86_400 - 1);
        assert_eq!(run_purge(&app).await.expired, 0, "a second before");
        app.clock.advance(1);
        let admin = app.as_user("acme.admin").await;
        let report = run_purge(&app).await;
        assert_eq!((report.expired, report.files), (2, 2));
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains(&recent) && !page.contains(&old) && !page.contains(&older));
        let purged = audit_details(&app, "recording.purged").await;
        assert!(purged[0].starts_with("2 recordings | 2 past the retention period (6 months)"), "{purged:?}");
        // Another company is untouched; a user without Manage Users cannot set it.
        let agent = app.as_user("acme.agent").await;
        assert_eq!(agent.post("/company-settings", &[("retention", "3m")]).await.status(), 404);
    }

    /// A user manager without Access to Delete Recordings cannot shorten
    /// retention (the review's 2,500 recordings); a shorter period waiting
    /// can be cancelled, and the company's answerable users are mailed.
    async fn shortening_retention_needs_delete_recordings_and_can_be_cancelled(db) {
        let app = spawn_app_on(db, test_config(), Clock::manual(LATER)).await;
        let seed = app.seed().await;
        // acme.lead manages users but cannot delete recordings; make them a
        // Company user so Company settings is theirs.
        callrec_store::testing::execute(&app.store, "UPDATE users SET level = 'company', team_id = NULL WHERE username = 'acme.lead'").await.unwrap();
        callrec_store::testing::execute(&app.store, "DELETE FROM user_roles WHERE role = 'delete_recordings' AND user_id = (SELECT id FROM users WHERE username = 'acme.lead')").await.unwrap();
        let lead = app.as_user("acme.lead").await;
        let (status, page) = lead.post_text("/company-settings", &[("time_zone", ""), ("retention", "days"), ("retention_days", "1"), ("confirm", "1")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("it needs Access to Delete Recordings"), "{page}");
        let acme = app.store.company(seed.acme.id).await.unwrap().unwrap();
        assert!(acme.retention_pending.is_none() && acme.retention.code() == "forever");
        // Longer is fine for them, and at once.
        let response = lead.post("/company-settings", &[("time_zone", ""), ("retention", "forever")]).await;
        assert_eq!(location(&response), "/company-settings?done=settings-saved");

        let admin = app.as_user("acme.admin").await;
        let response = admin.post("/company-settings", &[("time_zone", ""), ("retention", "days"), ("retention_days", "1"), ("confirm", "1")]).await;
        assert_eq!(location(&response), "/company-settings?done=retention-scheduled");
        assert!(app.store.company(seed.acme.id).await.unwrap().unwrap().retention_pending.is_some());
        // Another company's users cannot see or cancel it.
        let globex = app.as_user("globex.admin").await;
        globex.post("/company-settings/cancel-retention", &[("company", &seed.acme.id.to_string())]).await;
        assert!(app.store.company(seed.acme.id).await.unwrap().unwrap().retention_pending.is_some());
        // Saving the form as shown (the period in force) leaves it waiting.
        let response = lead.post("/company-settings", &[("time_zone", ""), ("retention", "forever")]).await;
        assert_eq!(location(&response), "/company-settings?done=settings-saved");
        assert!(app.store.company(seed.acme.id).await.unwrap().unwrap().retention_pending.is_some(), "not cancelled by a save");
        let response = lead.post("/company-settings/cancel-retention", &[]).await;
        assert_eq!(location(&response), "/company-settings?done=retention-cancelled");
        let acme = app.store.company(seed.acme.id).await.unwrap().unwrap();
        assert!(acme.retention_pending.is_none() && acme.retention.code() == "forever");
        let changes = audit_details(&app, "company.settings_changed").await;
        assert!(changes[0].contains("retention Keep forever kept; the change to 1 day due 2027-06-08 12:00:00 cancelled"), "{changes:?}");
        app.clock.advance(8 * 86_400);
        assert_eq!(run_purge(&app).await.expired, 0, "cancelled: nothing goes");
    }

    /// Place on hold needs a reason and the role; a held recording shows a
    /// badge, is found by On hold, cannot be deleted; Release hold frees
    /// it. The same for every recording of a search, with a count.
    async fn legal_hold_on_one_recording_and_on_a_search(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(call(&app, &token, "acme.agent", &format!("2026-11-2{n}T09:30:00Z"), n).await);
        }
        let admin = app.as_user("acme.admin").await;
        let (_, details) = admin.get_text(&format!("/recordings/{}", ids[0])).await;
        assert!(details.contains("Retention and legal hold") && details.contains(">Place on hold</button>"));
        let (status, page) = admin.post_text(&format!("/recordings/{}/hold", ids[0]), &[("reason", "  ")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Type the reason for the hold"), "{page}");
        let lead = app.as_user("acme.lead").await;
        assert_eq!(lead.post(&format!("/recordings/{}/hold", ids[0]), &[("reason", "x")]).await.status(), 404, "no Legal Hold role");
        let globex = app.as_user("globex.admin").await;
        assert_eq!(globex.post(&format!("/recordings/{}/hold", ids[0]), &[("reason", "x")]).await.status(), 404, "another company's");
        let response = admin.post(&format!("/recordings/{}/hold", ids[0]), &[("reason", "Case 2026/114")]).await;
        assert_eq!(location(&response), format!("/recordings/{}?done=hold-placed", ids[0]));
        let (_, details) = admin.get_text(&format!("/recordings/{}", ids[0])).await;
        assert!(details.contains("On hold") && details.contains("Case 2026/114") && details.contains("by acme.admin") && details.contains(">Release hold</button>"));
        let (_, list) = admin.get_text("/recordings?held=1").await;
        assert!(list.contains(&ids[0]) && !list.contains(&ids[1]), "the On hold filter");
        assert!(list.contains("badge hold"));
        let (status, page) = admin.post_text(&format!("/recordings/{}/delete", ids[0]), &[]).await;
        assert_eq!(status, 409);
        assert!(page.contains("legal hold"), "{page}");
        assert!(audit_details(&app, "recording.hold_placed").await[0].contains("reason: Case 2026/114"));

        // The whole search from the 21st on: the dialog counts, then holds.
        let search = "start=2026-11-21T00:00";
        let (_, page) = admin.get_text(&format!("/recordings?{search}&hold=place")).await;
        assert!(page.contains("3 recordings match this search"), "{page}");
        let response = admin.post("/recordings/holds", &[("start", "2026-11-21T00:00"), ("change", "place"), ("reason", "Matter 9")]).await;
        assert_eq!(location(&response), "/recordings?start=2026-11-21T00%3A00&done=holds-placed");
        let (_, list) = admin.get_text("/recordings?held=1").await;
        assert_eq!(ids.iter().filter(|id| list.contains(id.as_str())).count(), 4);
        let placed = audit_details(&app, "recording.hold_placed").await;
        assert!(placed[0].starts_with("3 recordings | matching ?start=2026-11-21T00%3A00; reason: Matter 9"), "{placed:?}");
        let (_, page) = admin.get_text("/recordings?hold=release").await;
        assert!(page.contains("4 of the 4 recordings matching this search are on hold"), "{page}");
        admin.post("/recordings/holds", &[("change", "release")]).await;
        let (_, list) = admin.get_text("/recordings?held=1").await;
        assert!(!ids.iter().any(|id| list.contains(id.as_str())));
        let response = admin.post(&format!("/recordings/{}/delete", ids[0]), &[]).await;
        assert_eq!(location(&response), "/recordings?done=recording-deleted", "deletable once released");
    }

    /// Delete → Deleted recordings → Restore, within the user's scope.
    async fn deleted_recordings_can_be_restored(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let id = call(&app, &token, "acme.agent", "2026-11-20T09:30:00Z", 1).await;
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/recordings/deleted").await;
        assert!(page.contains("No deleted recordings"));
        let (_, dialog) = admin.get_text(&format!("/recordings?delete={id}")).await;
        assert!(dialog.contains("moves to Deleted recordings. It can be restored there for 30 days"));
        admin.post(&format!("/recordings/{id}/delete"), &[]).await;
        let (_, page) = admin.get_text("/recordings/deleted").await;
        assert!(page.contains(&id) && page.contains(">Restore</button>"));
        let globex = app.as_user("globex.admin").await;
        let (_, theirs) = globex.get_text("/recordings/deleted").await;
        assert!(!theirs.contains(&id));
        assert_eq!(globex.post(&format!("/recordings/deleted/{id}/restore"), &[]).await.status(), 404);
        let response = admin.post(&format!("/recordings/deleted/{id}/restore"), &[]).await;
        assert_eq!(location(&response), "/recordings/deleted?done=recording-restored");
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains(&id));
        assert_eq!(audit_details(&app, "recording.restored").await.len(), 1);
    }

    /// Download selected: the ticked recordings' audio under their names,
    /// byte for byte, and manifest.csv with the page's columns, SHA-256 and
    /// size; one audit entry with the ids. Download all matching takes the
    /// search, up to the maximum; another company's id is not found.
    async fn download_selected_is_a_zip_with_a_manifest(db) {
        let mut config = test_config();
        config.records.bulk_download_max = 3;
        let app = spawn_app_with(db, config).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(call(&app, &token, "acme.agent", &format!("2026-11-2{n}T09:30:00Z"), n).await);
        }
        let admin = app.as_user("acme.admin").await;
        let (_, page) = admin.get_text("/recordings").await;
        assert!(page.contains("Select all on this page") && page.contains(">Download selected</button>") && page.contains(">Download all matching</button>"));
        // A tag on one of them: in the manifest (issue 26).
        let tagged = callrec_domain::recording::RecordingId::parse(&ids[2]).unwrap();
        app.store
            .set_up(0, async |write| {
                let tag = write.add_tag(seed.acme.id, &callrec_domain::TagName::parse("Complaint").unwrap()).await?.unwrap();
                write.tag_recording(&tagged, tag.id).await
            })
            .await
            .unwrap();
        let response = admin.post("/recordings/download", &[("take", "selected"), ("id", &ids[0]), ("id", &ids[2])]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/zip");
        assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"recordings-"));
        let bytes = response.bytes().await.unwrap();
        let (files, manifest) = unzip(&bytes);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, format!("2026-11-22_093000_inbound_+442079460123_2001_{}.wav", ids[2]));
        assert_eq!(files[0].1, wav(202), "the audio, byte for byte");
        assert_eq!(files[1].1, wav(200));
        assert_eq!(manifest[0], "File,Date/Time,Direction,Calling Number,Called Number,User,Team,Company,Duration (s),SHA-256,Size (bytes),Check,Tags");
        // A leading + is quoted against spreadsheet formulas (RFC 4180 otherwise).
        assert!(manifest[1].starts_with(&format!("{},2026-11-22 09:30:00,Inbound,'+442079460123,2001,acme.agent,Sales,Acme,", files[0].0)), "{manifest:?}");
        assert!(manifest[1].ends_with(&format!(",{},verified,Complaint", wav(202).len())), "{manifest:?}");
        assert!(manifest[2].ends_with(",verified,"), "no tags: an empty cell");
        let entries = audit_details(&app, "recording.bulk_downloaded").await;
        assert_eq!(entries, [format!("2 recordings | {} {}", ids[2], ids[0])]);

        // The whole search: four match, three allowed.
        // Refusals are said on the Recordings page, the search and the
        // ticked rows kept.
        let (status, page) = admin.post_text("/recordings/download", &[("take", "search")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("more than 3 recordings") && page.contains(r#"id="bulk-problem""#), "{page}");
        let response = admin.post("/recordings/download", &[("take", "search"), ("start", "2026-11-21T00:00")]).await;
        let (files, manifest) = unzip(&response.bytes().await.unwrap());
        assert_eq!((files.len(), manifest.len()), (3, 4));
        // Nothing ticked; another company's recording; no Download role.
        let (status, page) = admin.post_text("/recordings/download", &[("take", "selected"), ("number", "2001")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Select the recordings to download first") && page.contains(r#"name="number" value="2001""#), "{page}");
        let (status, page) = admin.post_text("/recordings/download", &[("take", "selected"), ("id", &ids[0]), ("id", &ids[1]), ("id", &ids[2]), ("id", &ids[3])]).await;
        assert_eq!(status, 422);
        assert!(page.contains("4 recordings are selected; at most 3"), "{page}");
        let ticked = page.split("class=\"row-select\"").skip(1).filter(|input| input.split('>').next().unwrap().contains(" checked")).count();
        assert_eq!(ticked, 4, "the ticked rows stay ticked");
        let globex = app.as_user("globex.admin").await;
        assert_eq!(globex.post("/recordings/download", &[("id", &ids[0])]).await.status(), 404);
        let lead = app.as_user("acme.lead").await;
        assert_eq!(lead.post("/recordings/download", &[("id", &ids[0])]).await.status(), 404);
    }

    /// A file changed on disk is sent as far as it opens (the archive shows
    /// what storage holds) and marked UNREADABLE and audited; a missing one
    /// is left out.
    async fn a_zip_marks_altered_and_missing_audio(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let a = call(&app, &token, "acme.agent", "2026-11-20T09:30:00Z", 1).await;
        let b = call(&app, &token, "acme.agent", "2026-11-21T09:30:00Z", 2).await;
        let key = |id: &str| { let store = app.store.clone(); let id = id.to_string(); async move {
            store.recording_in_scope(&callrec_domain::recording::RecordingId::parse(&id).unwrap(), callrec_domain::permissions::DataScope::Everything).await.unwrap().unwrap().storage_key } };
        let altered = app.blobs.path_of(&key(&a).await).unwrap();
        let mut bytes = std::fs::read(&altered).unwrap();
        bytes[60] ^= 1;
        std::fs::write(&altered, bytes).unwrap();
        std::fs::remove_file(app.blobs.path_of(&key(&b).await).unwrap()).unwrap();
        let admin = app.as_user("acme.admin").await;
        let response = admin.post("/recordings/download", &[("id", &a), ("id", &b)]).await;
        let (files, manifest) = unzip(&response.bytes().await.unwrap());
        assert_eq!(files.len(), 1);
        assert!(manifest[1].starts_with(",2026-11-21 09:30:00,") && manifest[1].ends_with("MISSING: not in storage, left out,"), "{manifest:?}");
        // Sealed audio changed on disk no longer opens past the change.
        assert!(manifest[2].ends_with(",UNREADABLE: the sealed file does not open (changed or cut short); the entry stops there,"), "{manifest:?}");
        assert_eq!(audit_details(&app, "recording.integrity_failed").await.len(), 2);
    }
}

backend_tests! {
    /// The call detail report: totals by direction, user, team and day in
    /// the viewer's zone, for the Recordings filters in the viewer's scope;
    /// Export CSV streams every call (RFC 4180, the viewer's zone) and is
    /// audited.
    async fn call_detail_report_totals_and_export(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let globex_token = token_for(&app, &seed.globex, "pbx").await;
        // Two calls of 90 s and one of 30 s; one outbound; one late on the
        // 20th in UTC that is the 21st in Sydney.
        for (n, started, direction, seconds) in [(1, "2026-11-20T09:30:00Z", "inbound", 90), (2, "2026-11-20T22:30:00Z", "outbound", 90), (3, "2026-11-21T10:00:00Z", "inbound", 30)] {
            let mut meta = metadata("acme.agent");
            meta["started_at"] = Value::from(started);
            meta["direction"] = Value::from(direction);
            meta["duration_ms"] = Value::from(seconds * 1000);
            meta["external_id"] = Value::from(format!("cdr-{n}"));
            let (status, body) = upload(&app, &token, meta, wav(100 + n), "a.wav").await;
            assert_eq!(status, 201, "{body}");
        }
        call(&app, &globex_token, "globex.agent", "2026-11-20T09:30:00Z", 9).await;
        let admin = app.as_user("acme.admin").await;
        let (status, page) = admin.get_text("/reports/calls").await;
        assert_eq!(status, 200);
        let text = page.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("<span class=\"stat-label\">Calls</span><span class=\"stat-value\">3</span>"), "{text}");
        assert!(text.contains("<span class=\"stat-value\">3.5</span>"), "3.5 minutes: {text}");
        assert!(text.contains("<td>acme.agent display</td><td class=\"num\">3</td><td class=\"num\">3.5</td>"), "people by name: {text}");
        assert!(text.contains("<td>Sales</td><td class=\"num\">3</td>"), "{text}");
        assert!(text.contains("<td>2026-11-20</td><td class=\"num\">2</td><td class=\"num\">3.0</td>"), "{text}");
        assert!(text.contains("Outbound</span><span class=\"stat-value\">1</span>"), "{text}");
        // In Sydney the late call belongs to the 21st.
        admin.post("/my-account/time-zone", &[("time_zone", "Australia/Sydney")]).await;
        let (_, page) = admin.get_text("/reports/calls?direction=inbound").await;
        let text = page.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("<span class=\"stat-label\">Calls</span><span class=\"stat-value\">2</span>"), "the direction filter: {text}");
        let (_, page) = admin.get_text("/reports/calls").await;
        let text = page.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("<td>2026-11-21</td><td class=\"num\">2</td>"), "{text}");

        let response = admin.get("/reports/calls.csv?direction=inbound").await;
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = response.text().await.unwrap();
        let lines: Vec<String> = csv.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.replace("\",\"", ",").trim_matches('"').to_string()).collect();
        assert_eq!(lines[0], "Date/Time,Direction,Calling Number,Called Number,User,Team,Company,Duration (s),On hold,Recording,Tags");
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[1].starts_with("2026-11-21 21:00:00,Inbound,'+442079460123,2001,acme.agent,Sales,Acme,30.0,no,"), "{csv}");
        let exported = audit_details(&app, "report.calls_exported").await;
        // The report's default period (the last 31 days) is part of it.
        assert_eq!(exported.len(), 1);
        assert!(exported[0].starts_with("call detail report | filters start=") && exported[0].ends_with("&direction=inbound"), "{exported:?}");
        // Globex sees only its own call; without Access to Recordings, nothing.
        let (_, theirs) = app.as_user("globex.admin").await.get_text("/reports/calls").await;
        assert!(theirs.split_whitespace().collect::<String>().contains("<spanclass=\"stat-value\">1</span>"));
        assert_eq!(app.as_user("acme.support").await.get("/reports/calls").await.status(), 404);
    }
}

backend_tests! {
    /// Sealed audio (issue 13): ranges across chunk edges are the recorded
    /// bytes; a changed chunk fails only what reads it (a range elsewhere
    /// still plays, a download is refused and audited); another company's
    /// key does not open a company's file.
    async fn sealed_audio_serves_ranges_and_refuses_changes(db) {
        let app = spawn_app(db).await;
        let seed = app.seed().await;
        let token = token_for(&app, &seed.acme, "pbx").await;
        let audio = wav(110_000); // 220 kB: four 64 KiB chunks
        let (status, body) = upload(&app, &token, metadata("acme.agent"), audio.clone(), "a.wav").await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_string();
        let admin = app.as_user("acme.admin").await;
        let get_range = |range: &'static str| {
            let client = admin.client.clone();
            let url = format!("{}/recordings/{id}/audio", admin.base);
            async move {
                let response = client.get(url).header("Range", range).send().await.unwrap();
                (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
            }
        };
        let len = audio.len();
        for (range, from, to) in [("bytes=0-99", 0, 100), ("bytes=65530-65545", 65530, 65546), ("bytes=131000-", 131000, len), ("bytes=-10", len - 10, len)] {
            let (status, bytes) = get_range(range).await;
            assert_eq!(status, 206, "{range}");
            assert_eq!(bytes, audio[from..to], "{range}");
        }
        let download = admin.get(&format!("/recordings/{id}/download")).await;
        assert_eq!(download.bytes().await.unwrap().to_vec(), audio);

        // Change a byte in the third chunk on disk.
        let key = callrec_store::company_key(seed.acme.id, body["sha256"].as_str().unwrap());
        let path = app.blobs.path_of(&key).unwrap();
        let mut sealed = std::fs::read(&path).unwrap();
        let third = callrec_domain::sealed::HEADER_LEN + 2 * (callrec_domain::sealed::CHUNK + 16) + 5;
        sealed[third] ^= 1;
        std::fs::write(&path, &sealed).unwrap();
        let (status, bytes) = get_range("bytes=0-99").await;
        assert_eq!((status, bytes.as_slice()), (206, &audio[..100]), "the first chunk still opens");
        let response = admin.get(&format!("/recordings/{id}/download")).await;
        assert_eq!(response.status(), 409);
        assert!(response.text().await.unwrap().contains("Recording unavailable"));
        let failures = audit_details(&app, "recording.integrity_failed").await;
        assert_eq!(failures.len(), 1, "{failures:?}");

        // A change past the first 256 KiB: the download has begun when the
        // bad chunk is met, so the transfer breaks (never completes) and
        // the failure is audited.
        let long = wav(300_000); // 600 kB
        let mut meta = metadata("acme.agent");
        meta["external_id"] = serde_json::Value::from("long");
        let (_, long_body) = upload(&app, &token, meta, long.clone(), "long.wav").await;
        let long_id = long_body["id"].as_str().unwrap().to_string();
        let long_path = app.blobs.path_of(&callrec_store::company_key(seed.acme.id, long_body["sha256"].as_str().unwrap())).unwrap();
        let mut long_sealed = std::fs::read(&long_path).unwrap();
        let near_end = long_sealed.len() - 100;
        long_sealed[near_end] ^= 1;
        std::fs::write(&long_path, &long_sealed).unwrap();
        let response = admin.get(&format!("/recordings/{long_id}/download")).await;
        assert_eq!(response.status(), 200, "already under way");
        match response.bytes().await {
            Err(_) => {}
            Ok(bytes) => assert!(bytes.len() < long.len(), "never the whole file: {} bytes", bytes.len()),
        }
        assert_eq!(audit_details(&app, "recording.integrity_failed").await.len(), 2);

        // Globex's folder holding Acme's sealed file: Globex's key does not open it.
        let globex_token = token_for(&app, &seed.globex, "pbx").await;
        let (_, theirs) = upload(&app, &globex_token, metadata("globex.agent"), wav(5000), "b.wav").await;
        let their_key = callrec_store::company_key(seed.globex.id, theirs["sha256"].as_str().unwrap());
        sealed[third] ^= 1; // Acme's intact file again
        std::fs::write(app.blobs.path_of(&their_key).unwrap(), &sealed).unwrap();
        let globex = app.as_user("globex.admin").await;
        let response = globex.get(&format!("/recordings/{}/download", theirs["id"].as_str().unwrap())).await;
        assert_eq!(response.status(), 409, "another company's key");
        // A header naming a key the company does not have: refused and
        // audited like any changed file, not an error of the portal.
        sealed[4..8].copy_from_slice(&99u32.to_be_bytes());
        std::fs::write(app.blobs.path_of(&their_key).unwrap(), &sealed).unwrap();
        let response = globex.get(&format!("/recordings/{}/audio", theirs["id"].as_str().unwrap())).await;
        assert_eq!(response.status(), 409, "an unknown key number");
    }
}
