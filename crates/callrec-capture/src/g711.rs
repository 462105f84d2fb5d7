//! G.711 μ-law and A-law to 16-bit linear (ITU-T G.711), by the
//! reference expansions.

/// One μ-law byte as a linear sample.
pub fn ulaw(byte: u8) -> i16 {
    let byte = !byte;
    let sign = byte & 0x80;
    let exponent = (byte >> 4) & 0x07;
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

/// One A-law byte as a linear sample.
pub fn alaw(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let sign = byte & 0x80;
    let exponent = (byte >> 4) & 0x07;
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        _ => ((mantissa << 4) + 0x108) << (exponent - 1),
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_points_expand_as_g711_says() {
        // μ-law: 0xFF and 0x7F are the two zeros, 0x80/0x00 the extremes.
        assert_eq!(ulaw(0xff), 0);
        assert_eq!(ulaw(0x7f), 0);
        assert_eq!(ulaw(0x80), 32124);
        assert_eq!(ulaw(0x00), -32124);
        // A-law: 0xD5 is the smallest positive step, 0xAA the largest.
        assert_eq!(alaw(0xd5), 8);
        assert_eq!(alaw(0x55), -8);
        assert_eq!(alaw(0xaa), 32256);
        assert_eq!(alaw(0x2a), -32256);
        // Both are monotonic over their positive halves.
        let positive: Vec<i16> = (0x80..=0xffu8).rev().map(ulaw).collect();
        assert!(positive.windows(2).all(|w| w[0] <= w[1]));
    }
}
