//! Little-endian field access on byte slices; every reader returns `None` rather than
//! panicking on short input.

#[inline]
pub fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}
#[inline]
pub fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off.checked_add(2)?)?.try_into().ok()?))
}
#[inline]
pub fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off.checked_add(4)?)?.try_into().ok()?))
}
#[inline]
pub fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off.checked_add(8)?)?.try_into().ok()?))
}
/// Reads an unsigned integer of `size` bytes (1, 2, 4 or 8).
#[inline]
pub fn uint_at(b: &[u8], off: usize, size: usize) -> Option<u64> {
    match size {
        1 => u8_at(b, off).map(u64::from),
        2 => u16_at(b, off).map(u64::from),
        4 => u32_at(b, off).map(u64::from),
        8 => u64_at(b, off),
        _ => None,
    }
}
/// Unsigned LEB128 at `off`, as Go's `encoding/binary.Uvarint` writes it (through
/// `gimli::leb128`); returns (value, bytes consumed), `None` when cut off or over 64 bits.
pub fn uvarint(b: &[u8], off: usize) -> Option<(u64, usize)> {
    use gimli::Reader;
    let s = b.get(off..)?;
    let mut r = gimli::EndianSlice::new(s, gimli::LittleEndian);
    let v = gimli::leb128::read::unsigned(&mut r).ok()?;
    Some((v, s.len() - r.len()))
}
