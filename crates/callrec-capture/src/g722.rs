//! G.722 (ITU-T, 64 kbit/s) decoded to its lower sub-band: 8 kHz linear
//! samples, the stored file's rate (the upper band, 4–7 kHz, is what an
//! 8 kHz file cannot hold). Each call's stream keeps its decoder's state.
//!
//! The arithmetic is spandsp's `g722_decode` with G722_SAMPLE_RATE_8000
//! (Steve Underwood, public domain; after the CMU 1993 codec), by way of
//! ezk-g722 0.1.2's Rust translation (MIT), cut to the low band. The
//! tests hold it to libg722's own output sample for sample.

const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: [i32; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

fn saturate(amp: i32) -> i32 {
    amp.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}

/// The low band's adaptive predictor (G.722 block 4) and scale factor.
#[derive(Debug, Default, Clone)]
pub struct G722Decoder {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    sg: [i32; 7],
    nb: i32,
    det: i32,
}

impl G722Decoder {
    pub fn new() -> G722Decoder {
        // The scale factor starts at its smallest step (spandsp's init).
        G722Decoder {
            det: 32,
            ..G722Decoder::default()
        }
    }

    /// One 8 kHz sample a byte of 64 kbit/s G.722.
    pub fn decode(&mut self, data: &[u8]) -> Vec<i16> {
        data.iter()
            .map(|&code| self.sample(i32::from(code)))
            .collect()
    }

    fn sample(&mut self, code: i32) -> i16 {
        // Block 5L, LOW BAND INVQBL and RECONS, 6L LIMIT.
        let mut wd1 = code & 0x3f;
        let wd2 = QM6[wd1 as usize];
        wd1 >>= 2;
        let rlow = (self.s + ((self.det * wd2) >> 15)).clamp(-16384, 16383);
        // Block 2L, INVQAL.
        let dlowt = (self.det * QM4[wd1 as usize]) >> 15;
        // Block 3L, LOGSCL and SCALEL.
        let wd2 = RL42[wd1 as usize];
        let nb = (((self.nb * 127) >> 7) + WL[wd2 as usize]).clamp(0, 18432);
        self.nb = nb;
        let wd1 = (nb >> 6) & 31;
        let shift = 8 - (nb >> 11);
        let wd3 = if shift < 0 {
            ILB[wd1 as usize] << -shift
        } else {
            ILB[wd1 as usize] >> shift
        };
        self.det = wd3 << 2;
        self.block4(dlowt);
        (rlow << 1) as i16
    }

    /// Block 4: reconstruction, pole and zero predictor adaptation.
    fn block4(&mut self, d: i32) {
        self.d[0] = d;
        self.r[0] = saturate(self.s + d);
        self.p[0] = saturate(self.sz + d);
        // UPPOL2
        for i in 0..3 {
            self.sg[i] = self.p[i] >> 15;
        }
        let wd1 = saturate(self.a[1] << 2);
        let wd2 = if self.sg[0] == self.sg[1] { -wd1 } else { wd1 }.min(32767);
        let mut wd3 = (wd2 >> 7) + if self.sg[0] == self.sg[2] { 128 } else { -128 };
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);
        // UPPOL1
        self.sg[0] = self.p[0] >> 15;
        self.sg[1] = self.p[1] >> 15;
        let wd1 = if self.sg[0] == self.sg[1] { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        self.ap[1] = saturate(wd1 + wd2);
        let limit = saturate(15360 - self.ap[2]);
        self.ap[1] = self.ap[1].clamp(-limit, limit);
        // UPZERO
        let wd1 = if d == 0 { 0 } else { 128 };
        self.sg[0] = d >> 15;
        for i in 1..7 {
            self.sg[i] = self.d[i] >> 15;
            let wd2 = if self.sg[i] == self.sg[0] { wd1 } else { -wd1 };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = saturate(wd2 + wd3);
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }
        // FILTEP
        let wd1 = (self.a[1] * saturate(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * saturate(self.r[2] + self.r[2])) >> 15;
        self.sp = saturate(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * saturate(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = saturate(sz);
        // PREDIC
        self.s = saturate(self.sp + self.sz);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One second of 1 kHz and 300 Hz at 16 kHz, encoded by libg722
    /// (PyPI's g722 1.2.8), and libg722's own 8 kHz decoding of it.
    const ENCODED: &[u8] = include_bytes!("../tests/fixtures/tones.g722");
    const DECODED: &[u8] = include_bytes!("../tests/fixtures/tones.g722.8k.pcm");

    #[test]
    fn it_decodes_as_libg722_does_sample_for_sample() {
        let expected: Vec<i16> = DECODED
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let mut decoder = G722Decoder::new();
        // In packet-sized pieces, as RTP brings them.
        let decoded: Vec<i16> = ENCODED
            .chunks(160)
            .flat_map(|piece| decoder.decode(piece))
            .collect();
        assert_eq!(decoded.len(), 8000);
        assert_eq!(decoded, expected);
    }

    #[test]
    fn any_bytes_decode_without_overflow() {
        let mut decoder = G722Decoder::new();
        let noise: Vec<u8> = (0..20_000u32)
            .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(decoder.decode(&noise).len(), noise.len());
        assert_eq!(decoder.decode(&[0xff; 4000]).len(), 4000);
        assert_eq!(decoder.decode(&[0x00; 4000]).len(), 4000);
    }
}
