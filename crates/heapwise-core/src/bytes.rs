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
/// Unsigned LEB128 as Go's encoding/binary uvarint; returns (value, bytes consumed).
pub fn uvarint(b: &[u8], mut off: usize) -> Option<(u64, usize)> {
    let start = off;
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        let byte = *b.get(off)?;
        off += 1;
        if shift >= 64 {
            return None;
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((v, off - start));
        }
        shift += 7;
    }
}
