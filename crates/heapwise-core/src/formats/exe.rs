//! The Go executable: PT_LOAD segments (to fill file-backed pages the core lacks), DWARF,
//! and the version recorded by the linker in `.go.buildinfo` (`runtime/debug` buildinfo
//! format, `cmd/go/internal/version`; Go 1.18+ inline-string layout), the symbol table
//! when one is kept, and the section addresses an executable without DWARF is read by.

use object::{Object, ObjectSection, ObjectSymbol};

use crate::bytes::uvarint;
use crate::formats::dwarf::Dwarf;
use crate::formats::elfcore::{read_elf_header, read_program_headers, ProgramHeader, ET_CORE, ET_DYN, ET_EXEC};
use crate::source::ByteSource;
use crate::Error;

const PT_LOAD: u32 = 1;

/// What heapwise keeps of the executable.
#[derive(Clone)]
pub struct Executable {
    pub entry: u64,
    pub is_pie: bool,
    pub machine: u16,
    pub load_segments: Vec<ProgramHeader>,
    /// File bytes the ELF header and program headers take: `strip`/`objcopy` rewrite them
    /// (section header offset and count), so they are not compared with the core.
    pub header_bytes: u64,
    /// The Go version from `.go.buildinfo` (`go1.26.6`), if present.
    pub go_version: Option<String>,
    pub build_id: Option<Vec<u8>>,
    /// The DWARF, or an empty table when the executable has none (`-ldflags=-w`): then
    /// [`crate::runtime::stripped`] builds one from layout tables and type descriptors.
    pub dwarf: Dwarf,
    /// `.gnu_debuglink`: the name of a separate debug file, when recorded.
    pub debuglink: Option<String>,
    /// Data symbols of `.symtab` (absent with `-ldflags=-s`), sorted by address.
    pub data_symbols: Vec<Symbol>,
    /// Allocated sections: (name, address, size).
    pub sections: Vec<(String, u64, u64)>,
}

/// A data object of the symbol table (a global variable).
#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
}

/// Most symbols kept from a symbol table (a bound for damaged input).
const MAX_SYMBOLS: usize = 1 << 22;

impl Executable {
    /// Reads the executable. `data` must be its whole contents.
    pub fn parse(data: &[u8]) -> Result<Executable, Error> {
        let src: &dyn ByteSource = &data;
        let header = read_elf_header(src, "the executable")?;
        match header.e_type {
            ET_EXEC | ET_DYN => {}
            ET_CORE => {
                return Err(Error::NotExecutable(
                    "the file given as the executable is a core dump (swapped arguments?)".into(),
                ))
            }
            t => return Err(Error::NotExecutable(format!("the file given as the executable is an ELF file of type {t}, not an executable"))),
        }
        let phdrs = read_program_headers(src, &header, "the executable")?;
        let load_segments: Vec<ProgramHeader> = phdrs.into_iter().filter(|p| p.p_type == PT_LOAD).collect();
        let file = object::read::elf::ElfFile64::<object::LittleEndian>::parse(data)
            .map_err(|e| Error::Malformed(format!("the executable's ELF structure: {e}")))?;
        let go_version = file
            .section_by_name(".go.buildinfo")
            .and_then(|s| s.data().ok())
            .and_then(buildinfo_version);
        let has_go_runtime = go_version.is_some()
            || file.section_by_name(".gopclntab").is_some()
            || file.section_by_name(".go.module").is_some()
            || file.section_by_name(".note.go.buildid").is_some();
        if !has_go_runtime {
            return Err(Error::NotGo(
                "the executable has no Go build information (.go.buildinfo, .gopclntab); is it a Go binary?".into(),
            ));
        }
        let build_id = file.build_id().ok().flatten().map(|b| b.to_vec());
        let mut sections: Vec<(String, std::borrow::Cow<'_, [u8]>)> = Vec::new();
        for s in file.sections() {
            let Ok(name) = s.name() else { continue };
            if name.starts_with(".debug_") || name.starts_with(".zdebug_") {
                // A compressed section's header says how large it inflates: do not believe
                // more than zlib's best ratio (about 1032:1) allows.
                if let Ok(c) = s.compressed_data() {
                    if c.format != object::CompressionFormat::None
                        && c.uncompressed_size > (c.data.len() as u64).saturating_mul(1032).max(1 << 20)
                    {
                        return Err(Error::Dwarf(format!(
                            "{name} claims {} bytes once decompressed, from {} compressed bytes",
                            c.uncompressed_size,
                            c.data.len()
                        )));
                    }
                }
                let data = s
                    .uncompressed_data()
                    .map_err(|e| Error::Dwarf(format!("cannot decompress {name}: {e}")))?;
                let canon = name.replacen(".zdebug_", ".debug_", 1);
                sections.push((canon, data));
            }
        }
        let lookup = |n: &str| -> &[u8] {
            sections.iter().find(|(name, _)| name == n).map(|(_, d)| d.as_ref()).unwrap_or(&[])
        };
        let dwarf = match Dwarf::load(&lookup) {
            Err(Error::NoDwarf) => Dwarf::default(),
            r => r?,
        };
        let mut data_symbols: Vec<Symbol> = file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Data && s.address() != 0)
            .take(MAX_SYMBOLS)
            .filter_map(|s| Some(Symbol { name: s.name().ok()?.to_string(), addr: s.address(), size: s.size() }))
            .collect();
        data_symbols.sort_by_key(|s| s.addr);
        let sections = file
            .sections()
            .filter(|s| s.address() != 0)
            .filter_map(|s| Some((s.name().ok()?.to_string(), s.address(), s.size())))
            .collect();
        let debuglink = file.gnu_debuglink().ok().flatten().and_then(|(name, _crc)| std::str::from_utf8(name).ok().map(str::to_string));
        Ok(Executable {
            entry: header.entry,
            is_pie: header.e_type == ET_DYN,
            machine: header.machine,
            load_segments,
            header_bytes: header.phoff.saturating_add(header.phnum as u64 * header.phentsize as u64).max(64),
            go_version,
            build_id,
            dwarf,
            debuglink,
            data_symbols,
            sections,
        })
    }

    /// Takes the DWARF of a separate debug file (`objcopy --only-keep-debug`, a
    /// debuginfod cache entry) for an executable that has none. The file's build ID must
    /// match when both record one.
    pub fn use_debug_file(&mut self, data: &[u8]) -> Result<(), Error> {
        let debug = Executable::parse(data).map_err(|e| match e {
            Error::NotGo(_) => Error::Dwarf("the debug file is not of a Go program".into()),
            e => e,
        })?;
        if let (Some(a), Some(b)) = (&self.build_id, &debug.build_id) {
            if a != b {
                return Err(Error::Dwarf(format!(
                    "the debug file's build ID {} is not the executable's {}",
                    hex(b),
                    hex(a)
                )));
            }
        }
        if debug.dwarf.is_empty() {
            return Err(Error::Dwarf("the debug file has no DWARF".into()));
        }
        self.dwarf = debug.dwarf;
        Ok(())
    }

    /// The build ID as lowercase hex, the name debuginfod caches and `.build-id/` use.
    pub fn build_id_hex(&self) -> Option<String> {
        self.build_id.as_deref().map(hex)
    }

    /// `xx/yyyy.debug` of the build ID, under a `.build-id` directory.
    pub fn build_id_path(&self) -> Option<String> {
        let h = self.build_id_hex()?;
        (h.len() > 2).then(|| format!("{}/{}.debug", &h[..2], &h[2..]))
    }
}

/// What locates a separate debug file, read without decoding any DWARF.
#[derive(Debug, Clone, Default)]
pub struct DebugHints {
    /// The executable has DWARF of its own (`.debug_info`).
    pub has_dwarf: bool,
    /// `xx/yyyy.debug` of the GNU build ID, under a `.build-id` directory.
    pub build_id_path: Option<String>,
    /// The `.gnu_debuglink` file name.
    pub debuglink: Option<String>,
}

/// [`DebugHints`] of an ELF executable; `None` when it is not one.
pub fn debug_hints(data: &[u8]) -> Option<DebugHints> {
    let file = object::read::elf::ElfFile64::<object::LittleEndian>::parse(data).ok()?;
    let has_dwarf = file.section_by_name(".debug_info").or_else(|| file.section_by_name(".zdebug_info")).is_some_and(|s| s.size() > 0);
    let build_id_path = file.build_id().ok().flatten().map(hex).filter(|h| h.len() > 2).map(|h| format!("{}/{}.debug", &h[..2], &h[2..]));
    let debuglink = file.gnu_debuglink().ok().flatten().and_then(|(name, _)| std::str::from_utf8(name).ok().map(str::to_string));
    Some(DebugHints { has_dwarf, build_id_path, debuglink })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Decodes the Go version string from the `.go.buildinfo` section: a 32-byte header
/// (`\xff Go buildinf:`, pointer size, flags) followed, when flag bit 1 is set, by two
/// uvarint-length-prefixed strings (version, module info).
pub fn buildinfo_version(data: &[u8]) -> Option<String> {
    if data.len() < 32 || &data[..14] != b"\xff Go buildinf:" {
        return None;
    }
    let flags = data[15];
    if flags & 2 == 0 {
        return None;
    }
    let (len, n) = uvarint(data, 32)?;
    let start = 32 + n;
    let end = start.checked_add(len as usize)?;
    let s = std::str::from_utf8(data.get(start..end)?).ok()?;
    Some(s.to_string())
}

/// Parses `go1.26.6`, `go1.27rc1`, `go1.25.5 X:greenteagc` into (major, minor).
pub fn parse_go_version(v: &str) -> Option<(u32, u32)> {
    let rest = v.strip_prefix("go")?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_versions() {
        assert_eq!(parse_go_version("go1.26.6"), Some((1, 26)));
        assert_eq!(parse_go_version("go1.27rc1"), Some((1, 27)));
        assert_eq!(parse_go_version("go1.25.5 X:greenteagc"), Some((1, 25)));
        assert_eq!(parse_go_version("devel"), None);
    }
}
