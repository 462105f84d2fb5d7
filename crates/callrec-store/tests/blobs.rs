//! The audio store's contract, the same on a folder and on a real
//! S3-compatible server (s3s-fs, `scripts/s3-server.sh`): what is placed
//! reads back whole and from any offset, the same bytes twice are one
//! blob, a replacement never brings back what was removed, and nothing is
//! left in the spool.

use callrec_domain::CompanyId;
use callrec_store::{AudioLocation, BlobStore};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(seed as u32) as u8
        })
        .collect()
}

async fn read_at(blobs: &BlobStore, key: &str, offset: u64, len: usize) -> Vec<u8> {
    let mut file = blobs.open(key).await.unwrap().expect("stored");
    tokio::task::spawn_blocking(move || {
        file.seek(SeekFrom::Start(offset)).unwrap();
        let mut out = vec![0u8; len];
        file.read_exact(&mut out).unwrap();
        out
    })
    .await
    .unwrap()
}

async fn read_all(blobs: &BlobStore, key: &str) -> Vec<u8> {
    let mut file = blobs.open(key).await.unwrap().expect("stored");
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        file.read_to_end(&mut out).unwrap();
        out
    })
    .await
    .unwrap()
}

async fn contract(blobs: BlobStore) {
    let company = CompanyId(7);
    // Small: one PUT. Large: 20 MiB, in parts on S3; written in pieces.
    let small = bytes(3000, 1);
    let large = bytes(20 << 20, 2);
    let stored = blobs.put(&small, company).await.unwrap();
    assert_eq!(
        stored.key,
        format!("c7/{}", callrec_domain::hex::hex(&Sha256::digest(&small)))
    );
    assert_eq!(stored.size, 3000);
    let mut writer = blobs.writer().await.unwrap();
    for piece in large.chunks(1 << 20) {
        writer.write(piece).await.unwrap();
    }
    let prepared = blobs.finish(writer, company).await.unwrap();
    let big = blobs.place(prepared).await.unwrap();

    assert_eq!(read_all(&blobs, &stored.key).await, small);
    assert_eq!(read_all(&blobs, &big.key).await, large, "read back whole");
    assert_eq!(blobs.open(&big.key).await.unwrap().unwrap().len(), 20 << 20);
    for offset in [0u64, 1, (1 << 20) - 5, 9_999_999, (20 << 20) - 100] {
        let at = offset as usize;
        assert_eq!(
            read_at(&blobs, &big.key, offset, 100).await,
            large[at..at + 100],
            "at {offset}"
        );
    }
    assert!(blobs.modified(&big.key).await.unwrap().is_some());

    // The same bytes again: the same blob.
    assert_eq!(blobs.put(&small, company).await.unwrap(), stored);
    let (keys, _) = blobs.scan().await.unwrap();
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    let mut expected = vec![stored.key.clone(), big.key.clone()];
    expected.sort();
    assert_eq!(keys, expected);

    // Replacing: the new bytes under the same key.
    let temp = blobs.spool_path(".sealing").await.unwrap();
    std::fs::write(&temp, b"replacement").unwrap();
    assert!(blobs.replace(&stored.key, &temp).await.unwrap());
    assert_eq!(read_all(&blobs, &stored.key).await, b"replacement");

    // Removed, gone; removed again, fine; a replacement does not bring it back.
    blobs.remove(&stored.key).await.unwrap();
    assert!(blobs.open(&stored.key).await.unwrap().is_none());
    assert!(blobs.modified(&stored.key).await.unwrap().is_none());
    blobs.remove(&stored.key).await.unwrap();
    let temp = blobs.spool_path(".sealing").await.unwrap();
    std::fs::write(&temp, b"late").unwrap();
    assert!(
        !blobs.replace(&stored.key, &temp).await.unwrap(),
        "not brought back"
    );
    assert!(blobs.open(&stored.key).await.unwrap().is_none());
    assert!(!temp.exists(), "its spool file is removed");

    // A copy placed as it is (`callrec audio migrate`).
    let temp = blobs.spool_path(".copy").await.unwrap();
    std::fs::write(&temp, &small).unwrap();
    blobs.place_file(&temp, &stored.key).await.unwrap();
    assert_eq!(read_all(&blobs, &stored.key).await, small);

    // Keys the store does not make name nothing.
    for bad in ["../etc/passwd", "c7/../../x", "c7/abc", ""] {
        assert!(blobs.open(bad).await.unwrap().is_none(), "{bad}");
        blobs.remove(bad).await.unwrap();
    }
    assert!(
        blobs.spool_leftovers().await.unwrap().is_empty(),
        "nothing left in the spool"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_holds_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    contract(BlobStore::new(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_holds_in_a_bucket() {
    let Some(location) = callrec_store::testing::test_s3("blobs::the_contract_holds_in_a_bucket")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    contract(BlobStore::at(&AudioLocation::S3(location), dir.path()).unwrap()).await;
}

/// A bucket that does not answer is an error, not a hang or a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_bucket_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let location = AudioLocation::S3(callrec_store::S3Location {
        bucket: "nowhere".into(),
        prefix: String::new(),
        endpoint: Some("http://127.0.0.1:9".into()),
        region: Some("us-east-1".into()),
    });
    let blobs = BlobStore::at(&location, dir.path()).unwrap();
    assert!(blobs.put(b"audio", CompanyId(1)).await.is_err());
    assert!(blobs
        .open("c1/0000000000000000000000000000000000000000000000000000000000000000")
        .await
        .is_err());
}
