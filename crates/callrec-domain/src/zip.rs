//! The bytes of a ZIP archive written front to back (APPNOTE 6.3.10):
//! stored entries (audio is compressed already), each followed by a data
//! descriptor with its CRC-32 and size, so no entry is buffered or read
//! twice; the central directory at the end, with ZIP64 records once the
//! archive passes 4 GiB or 65,535 entries. Each entry must stay below
//! 4 GiB ([`MAX_ENTRY`]); callers leave larger files out.

/// The largest entry this writer stores (32-bit sizes).
pub const MAX_ENTRY: u64 = 0xFFFF_FFFE;

const LOCAL: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END64: u32 = 0x0606_4b50;
const LOCATOR64: u32 = 0x0706_4b50;
/// Bit 3: sizes and CRC follow the data; bit 11: names are UTF-8.
const FLAGS: u16 = (1 << 3) | (1 << 11);
/// Version 4.5: ZIP64.
const VERSION: u16 = 45;

#[derive(Debug, Clone)]
struct Entry {
    name: Vec<u8>,
    time: u16,
    date: u16,
    crc: u32,
    size: u64,
    offset: u64,
}

/// Writes an archive's headers; the caller sends the data between
/// [`ZipWriter::start`] and [`ZipWriter::end`].
#[derive(Debug, Default)]
pub struct ZipWriter {
    offset: u64,
    entries: Vec<Entry>,
    open: Option<Entry>,
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// `(time, date)` in MS-DOS form for Unix milliseconds, in UTC; times
/// before 1980 (the format's start) become 1980-01-01.
pub fn dos_time(unix_ms: i64) -> (u16, u16) {
    let Ok(at) = jiff::Timestamp::from_millisecond(unix_ms) else {
        return (0, 0x21);
    };
    let t = at.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    if t.year() < 1980 || t.year() > 2107 {
        return (0, 0x21);
    }
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    let date = (((t.year() - 1980) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    (time, date)
}

impl ZipWriter {
    pub fn new() -> ZipWriter {
        ZipWriter::default()
    }

    /// The local header of an entry named `name`, modified at `unix_ms`.
    pub fn start(&mut self, name: &str, unix_ms: i64) -> Vec<u8> {
        debug_assert!(self.open.is_none(), "an entry is still open");
        let (time, date) = dos_time(unix_ms);
        let entry = Entry {
            name: name.as_bytes().to_vec(),
            time,
            date,
            crc: 0,
            size: 0,
            offset: self.offset,
        };
        let mut out = Vec::with_capacity(30 + entry.name.len());
        put32(&mut out, LOCAL);
        put16(&mut out, VERSION);
        put16(&mut out, FLAGS);
        put16(&mut out, 0); // stored
        put16(&mut out, time);
        put16(&mut out, date);
        put32(&mut out, 0); // CRC-32, size: in the descriptor
        put32(&mut out, 0);
        put32(&mut out, 0);
        put16(&mut out, entry.name.len() as u16);
        put16(&mut out, 0);
        out.extend_from_slice(&entry.name);
        self.offset += out.len() as u64;
        self.open = Some(entry);
        out
    }

    /// The data descriptor after `size` bytes (at most [`MAX_ENTRY`]) of
    /// the open entry, whose CRC-32 is `crc`.
    pub fn end(&mut self, crc: u32, size: u64) -> Vec<u8> {
        let mut entry = self.open.take().expect("an open entry");
        debug_assert!(size <= MAX_ENTRY);
        entry.crc = crc;
        entry.size = size;
        self.offset += size;
        let mut out = Vec::with_capacity(16);
        put32(&mut out, DESCRIPTOR);
        put32(&mut out, crc);
        put32(&mut out, size as u32);
        put32(&mut out, size as u32);
        self.offset += out.len() as u64;
        self.entries.push(entry);
        out
    }

    /// A whole entry held in memory (the manifest).
    pub fn whole(&mut self, name: &str, unix_ms: i64, data: &[u8], crc: u32) -> Vec<u8> {
        let mut out = self.start(name, unix_ms);
        out.extend_from_slice(data);
        out.extend(self.end(crc, data.len() as u64));
        out
    }

    /// The central directory and the end records.
    pub fn finish(self) -> Vec<u8> {
        let start = self.offset;
        let mut out = Vec::new();
        for entry in &self.entries {
            let far = entry.offset >= 0xFFFF_FFFF;
            put32(&mut out, CENTRAL);
            put16(&mut out, VERSION | (3 << 8)); // made by: Unix
            put16(&mut out, VERSION);
            put16(&mut out, FLAGS);
            put16(&mut out, 0);
            put16(&mut out, entry.time);
            put16(&mut out, entry.date);
            put32(&mut out, entry.crc);
            put32(&mut out, entry.size as u32);
            put32(&mut out, entry.size as u32);
            put16(&mut out, entry.name.len() as u16);
            put16(&mut out, if far { 12 } else { 0 });
            put16(&mut out, 0); // comment
            put16(&mut out, 0); // disk
            put16(&mut out, 0); // internal attributes
            put32(&mut out, 0o100644 << 16); // a regular file, rw-r--r--
            put32(
                &mut out,
                if far {
                    0xFFFF_FFFF
                } else {
                    entry.offset as u32
                },
            );
            out.extend_from_slice(&entry.name);
            if far {
                put16(&mut out, 0x0001);
                put16(&mut out, 8);
                put64(&mut out, entry.offset);
            }
        }
        let size = out.len() as u64;
        let count = self.entries.len() as u64;
        let zip64 = start >= 0xFFFF_FFFF || size >= 0xFFFF_FFFF || count >= 0xFFFF;
        if zip64 {
            let end64 = start + size;
            put32(&mut out, END64);
            put64(&mut out, 44);
            put16(&mut out, VERSION | (3 << 8));
            put16(&mut out, VERSION);
            put32(&mut out, 0);
            put32(&mut out, 0);
            put64(&mut out, count);
            put64(&mut out, count);
            put64(&mut out, size);
            put64(&mut out, start);
            put32(&mut out, LOCATOR64);
            put32(&mut out, 0);
            put64(&mut out, end64);
            put32(&mut out, 1);
        }
        put32(&mut out, END);
        put16(&mut out, 0);
        put16(&mut out, 0);
        let short_count = if zip64 { 0xFFFF } else { count as u16 };
        put16(&mut out, short_count);
        put16(&mut out, short_count);
        put32(&mut out, if zip64 { 0xFFFF_FFFF } else { size as u32 });
        put32(&mut out, if zip64 { 0xFFFF_FFFF } else { start as u32 });
        put16(&mut out, 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([bytes[at], bytes[at + 1]])
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn dos_times() {
        // 2026-11-28 10:15:31 UTC: seconds are halved.
        let (time, date) = dos_time(1_795_860_931_000);
        assert_eq!(
            (time >> 11, (time >> 5) & 63, (time & 31) * 2),
            (10, 15, 30)
        );
        assert_eq!(
            (1980 + (date >> 9), (date >> 5) & 15, date & 31),
            (2026, 11, 28)
        );
        assert_eq!(dos_time(0), (0, 0x21), "before 1980");
        assert_eq!(dos_time(i64::MAX), (0, 0x21));
    }

    /// The layout, read back by hand: local header, data, descriptor;
    /// then the central directory and its end, which point at them.
    #[test]
    fn a_small_archive_reads_back() {
        let mut zip = ZipWriter::new();
        let mut bytes = zip.start("a.wav", 1_795_860_931_000);
        assert_eq!(u32_at(&bytes, 0), LOCAL);
        assert_eq!(u16_at(&bytes, 6), FLAGS);
        assert_eq!(&bytes[30..], b"a.wav");
        bytes.extend_from_slice(b"hello");
        bytes.extend(zip.end(0x3610_a686, 5));
        let second = bytes.len();
        bytes.extend(zip.whole("manifest.csv", 0, b"x\r\n", 7));
        let directory = bytes.len();
        bytes.extend(zip.finish());
        let end = bytes.len() - 22;
        assert_eq!(u32_at(&bytes, end), END);
        assert_eq!(u16_at(&bytes, end + 10), 2, "two entries");
        assert_eq!(u32_at(&bytes, end + 16) as usize, directory);
        assert_eq!(u32_at(&bytes, end + 12) as usize, end - directory);
        // The second central record points at the second local header.
        let first_record = 46 + "a.wav".len();
        assert_eq!(u32_at(&bytes, directory), CENTRAL);
        assert_eq!(u32_at(&bytes, directory + 16), 0x3610_a686);
        assert_eq!(u32_at(&bytes, directory + 24), 5);
        assert_eq!(
            u32_at(&bytes, directory + first_record + 42) as usize,
            second
        );
        assert_eq!(&bytes[second + 30..second + 42], b"manifest.csv");
    }

    /// Past 4 GiB the offsets move to ZIP64 records.
    #[test]
    fn large_archives_use_zip64() {
        let mut zip = ZipWriter::new();
        for i in 0..3 {
            zip.start(&format!("{i}.wav"), 0);
            zip.end(0, MAX_ENTRY);
        }
        let tail = zip.finish();
        let end = tail.len() - 22;
        assert_eq!(u32_at(&tail, end), END);
        assert_eq!(u32_at(&tail, end + 16), 0xFFFF_FFFF);
        assert_eq!(u32_at(&tail, end - 20), LOCATOR64);
        assert_eq!(u32_at(&tail, end - 20 - 56), END64);
        // The third entry starts beyond 4 GiB: its record has the extra field.
        assert!(tail.windows(4).any(|w| w == [1, 0, 8, 0]));
    }
}
