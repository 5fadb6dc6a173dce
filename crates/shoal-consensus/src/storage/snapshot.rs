//! The snapshot file format: a versioned header with the snapshot's Raft metadata, then every
//! `(space, key, value)` record of the group's data, then an XXH3-64 checksum of all that.
//!
//! ```text
//! "SHOALSNP" | u32 format version | u32 meta length | meta (encoded SnapshotMeta)
//! { u8 space | u32 key length | key | u32 value length | value }*
//! u8 0xFF end marker | u64 checksum of every byte before it
//! ```
//! Integers are little-endian. Files are written to a temporary name, fsynced and renamed,
//! so a crash never leaves a half-written snapshot under a real name.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use super::{decode, encode};
use crate::types::SnapshotMeta;

const MAGIC: &[u8; 8] = b"SHOALSNP";
const SNAPSHOT_FORMAT: u32 = 1;
const END_MARKER: u8 = 0xFF;

/// A readable snapshot: an open file (kept alive even if a newer snapshot replaces it).
#[derive(Debug)]
pub struct SnapshotFile {
    pub file: File,
    pub path: PathBuf,
}

impl SnapshotFile {
    pub fn open(path: &Path) -> io::Result<SnapshotFile> {
        Ok(SnapshotFile {
            file: File::open(path)?,
            path: path.to_path_buf(),
        })
    }

    /// Size of the file in bytes.
    pub fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Writes a snapshot to `final_path` through a temporary file.
pub struct SnapshotWriter {
    out: BufWriter<File>,
    hasher: Xxh3,
    temp_path: PathBuf,
    final_path: PathBuf,
}

impl SnapshotWriter {
    pub fn create(final_path: &Path, meta: &SnapshotMeta) -> io::Result<SnapshotWriter> {
        let temp_path = final_path.with_extension("snap.tmp");
        let out = BufWriter::with_capacity(1 << 20, File::create(&temp_path)?);
        let mut writer = SnapshotWriter {
            out,
            hasher: Xxh3::new(),
            temp_path,
            final_path: final_path.to_path_buf(),
        };
        let meta = encode(meta)?;
        writer.write(MAGIC)?;
        writer.write(&SNAPSHOT_FORMAT.to_le_bytes())?;
        writer.write(&(meta.len() as u32).to_le_bytes())?;
        writer.write(&meta)?;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes)
    }

    pub fn record(&mut self, space: u8, key: &[u8], value: &[u8]) -> io::Result<()> {
        if space == END_MARKER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "space 255 is reserved",
            ));
        }
        self.write(&[space])?;
        self.write(&(key.len() as u32).to_le_bytes())?;
        self.write(key)?;
        self.write(&(value.len() as u32).to_le_bytes())?;
        self.write(value)
    }

    /// Seals the file: end marker, checksum, fsync, rename, directory fsync.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        self.write(&[END_MARKER])?;
        let checksum = self.hasher.digest();
        self.out.write_all(&checksum.to_le_bytes())?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.temp_path, &self.final_path)?;
        if let Some(dir) = self.final_path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(self.final_path)
    }
}

/// A validated snapshot read fully: its metadata and records.
pub struct SnapshotContents {
    pub meta: SnapshotMeta,
    pub records: Vec<(u8, Vec<u8>, Vec<u8>)>,
}

/// Reads and verifies a whole snapshot (checksum, format version, structure).
pub fn read_snapshot(file: &mut File) -> io::Result<SnapshotContents> {
    file.seek(SeekFrom::Start(0))?;
    let mut input = HashingReader {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: Xxh3::new(),
    };
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic)?;
    if &magic != MAGIC {
        return Err(invalid("not a shoal snapshot (bad magic)"));
    }
    let format = input.read_u32()?;
    if format != SNAPSHOT_FORMAT {
        return Err(invalid(&format!(
            "unsupported snapshot format {format} (this build reads {SNAPSHOT_FORMAT})"
        )));
    }
    let meta_len = input.read_u32()? as usize;
    let meta: SnapshotMeta = decode(&input.read_vec(meta_len)?)?;
    let mut records = Vec::new();
    loop {
        let mut space = [0u8];
        input.read_exact(&mut space)?;
        if space[0] == END_MARKER {
            break;
        }
        let key_len = input.read_u32()? as usize;
        let key = input.read_vec(key_len)?;
        let value_len = input.read_u32()? as usize;
        let value = input.read_vec(value_len)?;
        records.push((space[0], key, value));
    }
    let expected = input.hasher.digest();
    let mut checksum = [0u8; 8];
    input.inner.read_exact(&mut checksum)?;
    if u64::from_le_bytes(checksum) != expected {
        return Err(invalid("snapshot checksum mismatch: the file is corrupt"));
    }
    Ok(SnapshotContents { meta, records })
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

struct HashingReader<R> {
    inner: R,
    hasher: Xxh3,
}

impl<R: Read> HashingReader<R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf)?;
        self.hasher.update(buf);
        Ok(())
    }

    fn read_u32(&mut self) -> io::Result<u32> {
        let mut bytes = [0u8; 4];
        self.read_exact(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn read_vec(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }
}
