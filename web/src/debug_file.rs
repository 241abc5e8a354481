//! Tells a separate debug file from the executable it belongs to, from three small reads.
//!
//! `objcopy --only-keep-debug` (and the `.build-id/xx/yyyy.debug` files debuginfod caches
//! hold) keep the executable's ELF type and section table but drop the contents of the loaded
//! sections: `.text` becomes `SHT_NOBITS`, while the DWARF sections keep their data
//! (ELF gABI, "Sections"; binutils `objcopy --only-keep-debug`).
//!
//! The page reads a dropped file asynchronously, so the steps are split: the ELF header says
//! where the section table is ([`SectionTable::from_header`], [`SectionTable::range`]), the
//! table says where the section names are ([`SectionTable::names_range`]), and both together
//! say what the file is ([`SectionTable::is_debug_only`]). 64-bit ELF only (Go's amd64 and
//! arm64); anything else is taken to be an ordinary executable.

use object::elf::{FileHeader64, SectionHeader64, SHT_NOBITS};
use object::read::elf::{FileHeader, SectionHeader};
use object::read::StringTable;
use object::Endianness;

/// Most bytes of section names read: Go executables have a few hundred.
const MAX_NAMES: u64 = 1 << 20;

/// Where a 64-bit ELF file keeps its section headers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SectionTable {
    endian: Endianness,
    offset: u64,
    count: usize,
    names_index: usize,
}

impl SectionTable {
    /// From the file's first 64 bytes; `None` if it is not 64-bit ELF or has no usable
    /// section table (no sections, or their count or name index in section 0: `SHN_XINDEX`).
    pub fn from_header(head: &[u8]) -> Option<SectionTable> {
        let header = FileHeader64::<Endianness>::parse(head).ok()?;
        let endian = header.endian().ok()?;
        let entry_size = usize::from(header.e_shentsize(endian));
        let count = usize::from(header.e_shnum(endian));
        let names_index = usize::from(header.e_shstrndx(endian).index()?);
        let offset = header.e_shoff(endian);
        if offset == 0 || count == 0 || names_index >= count || entry_size != size_of::<SectionHeader64<Endianness>>() {
            return None;
        }
        Some(SectionTable { endian, offset, count, names_index })
    }

    /// The section headers' (file offset, length in bytes).
    pub fn range(&self) -> (u64, usize) {
        (self.offset, self.count * size_of::<SectionHeader64<Endianness>>())
    }

    fn headers<'a>(&self, table: &'a [u8]) -> Option<&'a [SectionHeader64<Endianness>]> {
        object::pod::slice_from_bytes(table, self.count).ok().map(|(headers, _)| headers)
    }

    /// The section names' (file offset, length in bytes), given the bytes at [`Self::range`].
    pub fn names_range(&self, table: &[u8]) -> Option<(u64, usize)> {
        let names = self.headers(table)?.get(self.names_index)?;
        let size = names.sh_size(self.endian);
        (size <= MAX_NAMES).then(|| (names.sh_offset(self.endian), size as usize))
    }

    /// True when `.text` carries no bytes but `.debug_info` (or Go's older compressed
    /// `.zdebug_info`) does: a file of debug information only.
    pub fn is_debug_only(&self, table: &[u8], names: &[u8]) -> bool {
        let Some(headers) = self.headers(table) else { return false };
        let strings = StringTable::new(names, 0, names.len() as u64);
        let kind = |name: &[u8]| {
            headers
                .iter()
                .find(|h| strings.get(h.sh_name(self.endian)) == Ok(name))
                .map(|h| h.sh_type(self.endian))
        };
        let has_dwarf = [&b".debug_info"[..], b".zdebug_info"].iter().any(|n| kind(n).is_some_and(|t| t != SHT_NOBITS));
        kind(b".text") == Some(SHT_NOBITS) && has_dwarf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a file the way the page does: header, section table, names.
    fn is_debug_only(file: &[u8]) -> bool {
        let table = SectionTable::from_header(&file[..64]).expect("a 64-bit ELF with sections");
        let (offset, len) = table.range();
        // Copies, as the page's reads are: separate buffers, aligned by the allocator.
        let headers = file[offset as usize..offset as usize + len].to_vec();
        let (offset, len) = table.names_range(&headers).expect("section names");
        table.is_debug_only(&headers, &file[offset as usize..offset as usize + len])
    }

    /// The bundled demo executable (a real Go program with DWARF) and its debug part split off
    /// by `objcopy --only-keep-debug`.
    #[test]
    fn demo_executable_and_its_debug_file() {
        let exe_path = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo.exe");
        let exe = std::fs::read(exe_path).expect("web/demo/demo.exe (scripts/make-demo.sh)");
        assert!(!is_debug_only(&exe), "the executable has its code");

        let debug_path = std::env::temp_dir().join(format!("heapwise-demo-{}.debug", std::process::id()));
        let status = std::process::Command::new("objcopy")
            .arg("--only-keep-debug")
            .arg(exe_path)
            .arg(&debug_path)
            .status()
            .expect("objcopy (binutils) runs");
        assert!(status.success());
        let debug = std::fs::read(&debug_path).unwrap();
        std::fs::remove_file(&debug_path).unwrap();
        assert!(is_debug_only(&debug), "objcopy --only-keep-debug output is a debug file");
    }

    #[test]
    fn not_elf_or_truncated() {
        assert_eq!(SectionTable::from_header(b"go1.7 heap dump\n"), None);
        assert_eq!(SectionTable::from_header(&[0x7f, b'E', b'L', b'F', 2, 1, 1]), None);
        let exe = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo.exe")).unwrap();
        let table = SectionTable::from_header(&exe[..64]).unwrap();
        // A section table cut short names nothing.
        assert_eq!(table.names_range(&[0u8; 10]), None);
        assert!(!table.is_debug_only(&[0u8; 10], b""));
    }
}
