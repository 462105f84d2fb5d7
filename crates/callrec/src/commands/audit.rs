//! `callrec audit verify` and `callrec audit anchor`: the audit log's hash
//! chains checked, and their heads printed to keep elsewhere.

use crate::error::CliError;
use callrec_app::audit::chain::{anchors, verify_audit, Anchor};
use callrec_store::Store;
use std::path::Path;

/// Prints every chain's head, one anchor a line.
pub async fn anchor(store: &Store, now: i64) -> Result<(), CliError> {
    let heads = anchors(store).await?;
    println!(
        "# callrec audit anchors, taken at {now} (Unix seconds): keep them outside this server"
    );
    for anchor in heads {
        println!("{}", anchor.line());
    }
    Ok(())
}

/// Walks every chain (and checks `anchors_file`); exit 1 on any break.
pub async fn verify(store: &Store, anchors_file: Option<&Path>) -> Result<(), CliError> {
    let anchors = match anchors_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|err| {
                CliError::Usage(format!(
                    "cannot read the anchors file {}: {err}",
                    path.display()
                ))
            })?;
            Anchor::parse_file(&text)?
        }
        None => Vec::new(),
    };
    let report = verify_audit(store, &anchors).await?;
    for chain in &report.chains {
        let anchored = match chain.anchors_checked {
            0 => String::new(),
            n => format!(", {n} anchor{} matched", if n == 1 { "" } else { "s" }),
        };
        match &chain.problem {
            None => println!(
                "{}: {} entries, intact{anchored}",
                chain.chain, chain.entries
            ),
            Some(problem) => println!(
                "{}: BROKEN after {} intact entries: {}",
                chain.chain,
                chain.entries,
                problem.describe()
            ),
        }
    }
    for chain in &report.unknown_chains {
        println!("{chain}: BROKEN: anchored, but the chain is gone");
    }
    for id in &report.outside {
        println!("entry #{id}: BROKEN: written outside the chains after they began");
    }
    let (recorded, found) = report.unchained;
    if recorded != found {
        println!("BROKEN: {recorded} entries were written before the chains began; {found} are there now");
    } else if recorded > 0 {
        println!("{recorded} entries from before the chains began are not covered.");
    }
    if report.is_clean() {
        println!("The audit log is intact.");
        Ok(())
    } else {
        Err(CliError::Failed(
            "the audit log was altered (see above); compare with a backup and the anchors you keep, and treat the server as compromised".into(),
        ))
    }
}
