//! Where audio is kept: `CALLREC_AUDIO_STORE`, parsed once.
//! `file:///srv/audio` (a folder), `s3://bucket/prefix` (an S3-compatible
//! bucket, with `CALLREC_S3_ENDPOINT`, `CALLREC_S3_REGION` and the usual
//! `AWS_*` credentials), or unset: `<data directory>/audio`.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioLocation {
    DataDir,
    Folder(PathBuf),
    S3(S3Location),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Keys are stored under `<prefix>/`; empty: at the bucket's root.
    pub prefix: String,
    /// `http://127.0.0.1:9000` for a server other than AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

const EXAMPLE: &str = "use file:///absolute/folder or s3://bucket/prefix";

impl AudioLocation {
    pub fn parse(text: &str) -> Result<AudioLocation, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("file://") {
            if !path.starts_with('/') || path.split('/').any(|part| part == "..") {
                return Err(format!(
                    "{text:?} must name an absolute folder, e.g. file:///var/lib/callrec/audio"
                ));
            }
            return Ok(AudioLocation::Folder(PathBuf::from(path)));
        }
        let Some(rest) = text.strip_prefix("s3://") else {
            return Err(format!("{text:?} is not an audio store: {EXAMPLE}"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_end_matches('/');
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !bucket_ok {
            return Err(format!(
                "{bucket:?} is not a bucket name (3 to 63 lower-case letters, digits, '-' or '.'): {EXAMPLE}"
            ));
        }
        let prefix_ok = prefix.is_empty()
            || prefix.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
        if !prefix_ok {
            return Err(format!(
                "{prefix:?} is not a key prefix (letters, digits, '-', '_', '.' between single '/'): {EXAMPLE}"
            ));
        }
        Ok(AudioLocation::S3(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint: None,
            region: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(bucket: &str, prefix: &str) -> AudioLocation {
        AudioLocation::S3(S3Location {
            bucket: bucket.into(),
            prefix: prefix.into(),
            endpoint: None,
            region: None,
        })
    }

    #[test]
    fn folders_and_buckets_parse() {
        assert_eq!(
            AudioLocation::parse("file:///srv/audio"),
            Ok(AudioLocation::Folder("/srv/audio".into()))
        );
        assert_eq!(AudioLocation::parse("s3://calls"), Ok(s3("calls", "")));
        assert_eq!(
            AudioLocation::parse("s3://calls.example/prod/eu-1/"),
            Ok(s3("calls.example", "prod/eu-1"))
        );
    }

    #[test]
    fn anything_else_is_refused_with_what_to_write() {
        for bad in [
            "",
            "/srv/audio",
            "file://srv/audio",
            "file:///srv/../etc",
            "s3://",
            "s3://ab",
            "s3://Calls",
            "s3://-calls",
            "s3://calls/a//b",
            "s3://calls/../x",
            "s3://calls/a b",
            "gs://calls",
        ] {
            let err = AudioLocation::parse(bad).unwrap_err();
            assert!(
                err.contains("file://") || err.contains("s3://"),
                "{bad}: {err}"
            );
        }
    }
}
