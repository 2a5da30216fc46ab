//! Appending to a journal. Lines are written whole; `flush` hands them to the
//! OS, `sync` also fdatasyncs, and the host acknowledges a command only after
//! the `sync` that covers its line (DESIGN §7: at most a few ms of commands are
//! batched together).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::format::{CheckpointLine, CommandLine, Header};

pub struct JournalWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl JournalWriter {
    /// Creates a new journal (never overwrites one) and writes its header, synced.
    pub fn create(path: &Path, header: &Header) -> io::Result<Self> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        let mut writer = Self { path: path.to_path_buf(), out: BufWriter::new(file) };
        writer.line(header)?;
        writer.sync()?;
        Ok(writer)
    }

    /// Opens an existing journal to append after its first `valid_len` bytes:
    /// whatever follows (a torn last line) is cut off first.
    pub fn resume(path: &Path, valid_len: u64) -> io::Result<Self> {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(valid_len)?;
        file.sync_data()?;
        let mut file = file;
        std::io::Seek::seek(&mut file, io::SeekFrom::End(0))?;
        Ok(Self { path: path.to_path_buf(), out: BufWriter::new(file) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append_command(&mut self, line: &CommandLine) -> io::Result<()> {
        self.line(line)
    }

    pub fn append_checkpoint(&mut self, tick: u64, hash: &blake3::Hash) -> io::Result<()> {
        self.append_checkpoint_hex(tick, &hash.to_hex())
    }

    /// A checkpoint whose hash is already hex (copied from another journal, as
    /// a branch does).
    pub fn append_checkpoint_hex(&mut self, tick: u64, hash: &str) -> io::Result<()> {
        self.line(&CheckpointLine { checkpoint: tick, hash: hash.to_string() })
    }

    /// Makes everything appended so far durable (write, then fdatasync).
    /// Hands what is buffered to the OS (other readers of the file see it;
    /// a crash of this process loses nothing), without waiting for the disk.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and fdatasyncs: what was appended survives a crash of the machine.
    pub fn sync(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }

    fn line<T: serde::Serialize>(&mut self, value: &T) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
        bytes.push(b'\n');
        self.out.write_all(&bytes)
    }
}
