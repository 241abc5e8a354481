//! What a dropped file is, told by its first bytes (and, for an executable, its section
//! table: a separate debug file has the executable's ELF type but no code).

use heapwise_sources::{classify, FileKind};
use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use crate::debug_file::SectionTable;

#[derive(Clone, Debug, PartialEq)]
pub enum Dropped {
    /// An ELF core, plain or zstd-compressed.
    Core,
    /// A `runtime/debug.WriteHeapDump` file.
    HeapDump,
    Executable,
    /// Debug information of a stripped executable (`objcopy --only-keep-debug`, a
    /// `.build-id/xx/yyyy.debug` file).
    DebugInfo,
    /// Not something heapwise reads: why, in words.
    Rejected(String),
}

/// Reads the bytes of `f` in `[offset, offset + len)` (fewer at the end of the file).
async fn read(f: &File, offset: u64, len: usize) -> Option<Vec<u8>> {
    let end = offset.checked_add(len as u64)?;
    let part = f.slice_with_f64_and_f64(offset as f64, end as f64).ok()?;
    let buffer = JsFuture::from(part.array_buffer()).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

pub async fn sniff(f: &File) -> Dropped {
    let Some(head) = read(f, 0, 64).await else {
        return Dropped::Rejected(format!("{} could not be read.", f.name()));
    };
    match classify(&head) {
        FileKind::Core | FileKind::ZstdCore => Dropped::Core,
        FileKind::HeapDump => Dropped::HeapDump,
        FileKind::Executable if is_debug_only(f, &head).await => Dropped::DebugInfo,
        FileKind::Executable => Dropped::Executable,
        FileKind::OtherElf(t) => Dropped::Rejected(format!(
            "{} is an ELF file of type {t}, neither a core dump (type 4) nor an executable (types 2 and 3).",
            f.name()
        )),
        FileKind::Unknown => Dropped::Rejected(format!(
            "{} is neither an ELF core, a zstd-compressed core (.zst), nor an ELF executable.",
            f.name()
        )),
    }
}

async fn is_debug_only(f: &File, head: &[u8]) -> bool {
    let Some(sections) = SectionTable::from_header(head) else { return false };
    let (offset, len) = sections.range();
    let Some(table) = read(f, offset, len).await else { return false };
    let Some((offset, len)) = sections.names_range(&table) else { return false };
    let Some(names) = read(f, offset, len).await else { return false };
    sections.is_debug_only(&table, &names)
}
