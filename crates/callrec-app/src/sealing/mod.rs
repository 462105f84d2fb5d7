//! Audio at rest, sealed per company (issue 13; the format is
//! `callrec_domain::sealed`). Each company has data keys (`keys.rs`),
//! stored sealed by the master key that protects MFA secrets; new audio is
//! sealed with the company's newest one as it is stored (`writer.rs`), and
//! read back through [`AudioReader`] (`reader.rs`), which opens only the
//! chunks a read touches. `callrec migrate` seals files stored before, and
//! `callrec keys rotate --company C --data` re-seals a company's files
//! with a new key (`reseal.rs`); both resume where a crash left them.

mod keys;
mod reader;
mod reseal;
mod writer;

pub use keys::DataKeys;
pub use reader::{open_audio, AudioReader, Opened};
pub use reseal::{reseal_company, seal_plain_files, Resealed, RETIRE_AFTER};
pub use writer::{seal_file, write_sealed};
