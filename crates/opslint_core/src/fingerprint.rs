/// A stable 64-bit FNV-1a hash of the parts, hex encoded. Parts are separated
/// by a zero byte so `("ab", "c")` and `("a", "bc")` differ. The value must
/// never change between releases because baselines and SARIF
/// `partialFingerprints` store it.
pub fn fingerprint(parts: &[&str]) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            hash ^= 0;
            hash = hash.wrapping_mul(PRIME);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    // Written digit by digit, because every finding gets one and `format!`
    // costs several times more.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(16);
    for shift in (0..16).rev() {
        hex.push(char::from(DIGITS[((hash >> (shift * 4)) & 0xf) as usize]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprint_is_stable() {
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
        assert_eq!(fingerprint(&["a"]), "af63dc4c8601ec8c");
    }

    #[test]
    fn fingerprint_separates_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
