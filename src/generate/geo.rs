//! The country blocks every generated source address is drawn from, so the
//! generator knows each source's country exactly.
//!
//! How the table was checked (2026-11-22, against the bundled
//! `data/geo/iptoasn-country.mmdb`, IPtoASN country DB version
//! 2.3.2026061719, record field `country_code`), with the Python `maxminddb`
//! reader: for every block, `reader.get_with_prefix_len(first)` and
//! `reader.get_with_prefix_len(last)` both return the listed country, and the
//! returned prefix length is ≤ the block's, i.e. the whole block lies inside
//! one network of the database for that country. The blocks were taken from
//! networks of prefix length ≤ 20 found by iterating the database (the
//! entry a third of the way through each country's list, not the first).
//!
//! `1.3.0.0/20` is public (APNIC) space that the database does not cover
//! (`get_with_prefix_len("1.3.0.0")` and `("1.3.15.255")` return
//! `(None, 16)`), so a correct analyser reports its sources as `ZZ`.

/// (first address octets, prefix length, country code).
pub const BLOCKS: &[([u8; 4], u8, [u8; 2])] = &[
    ([126, 134, 0, 0], 16, *b"JP"),
    ([124, 96, 0, 0], 18, *b"JP"),
    ([122, 255, 128, 0], 20, *b"JP"),
    ([74, 7, 0, 0], 16, *b"US"),
    ([72, 0, 128, 0], 18, *b"US"),
    ([71, 253, 0, 0], 20, *b"US"),
    ([111, 72, 0, 0], 16, *b"CN"),
    ([110, 152, 0, 0], 18, *b"CN"),
    ([111, 0, 0, 0], 20, *b"CN"),
    ([83, 234, 0, 0], 16, *b"RU"),
    ([84, 51, 64, 0], 18, *b"RU"),
    ([83, 166, 96, 0], 20, *b"RU"),
    ([94, 130, 0, 0], 16, *b"DE"),
    ([89, 27, 128, 0], 18, *b"DE"),
    ([89, 58, 192, 0], 20, *b"DE"),
    ([89, 98, 0, 0], 16, *b"NL"),
    ([92, 64, 0, 0], 18, *b"NL"),
    ([84, 84, 0, 0], 20, *b"NL"),
    ([179, 214, 0, 0], 16, *b"BR"),
    ([179, 216, 0, 0], 18, *b"BR"),
    ([177, 123, 0, 0], 20, *b"BR"),
    ([116, 84, 0, 0], 16, *b"KR"),
    ([116, 32, 0, 0], 18, *b"KR"),
    ([117, 17, 0, 0], 20, *b"KR"),
    ([106, 196, 0, 0], 16, *b"IN"),
    ([106, 210, 0, 0], 18, *b"IN"),
    ([106, 220, 0, 0], 20, *b"IN"),
    ([92, 12, 0, 0], 16, *b"GB"),
    ([87, 224, 0, 0], 18, *b"GB"),
    ([87, 127, 0, 0], 20, *b"GB"),
    ([85, 68, 0, 0], 16, *b"FR"),
    ([86, 240, 0, 0], 18, *b"FR"),
    ([88, 160, 0, 0], 20, *b"FR"),
    ([58, 186, 0, 0], 16, *b"VN"),
    ([113, 23, 0, 0], 18, *b"VN"),
    ([113, 22, 0, 0], 20, *b"VN"),
    ([116, 241, 0, 0], 16, *b"TW"),
    ([114, 136, 0, 0], 18, *b"TW"),
    ([113, 196, 192, 0], 20, *b"TW"),
    ([119, 74, 0, 0], 16, *b"SG"),
    ([116, 88, 0, 0], 18, *b"SG"),
    ([116, 51, 128, 0], 20, *b"SG"),
    ([118, 140, 0, 0], 16, *b"HK"),
    ([124, 217, 128, 0], 18, *b"HK"),
    ([130, 94, 0, 0], 20, *b"HK"),
    // Not in the database: a correct analyser says ZZ.
    ([1, 3, 0, 0], 20, *b"ZZ"),
];

/// Share of source addresses per country (percent, sums to 100), roughly
/// the darknet source mix NICTER and the NPA report (CN and US lead).
pub const COUNTRY_WEIGHTS: &[([u8; 2], u32)] = &[
    (*b"CN", 20),
    (*b"US", 16),
    (*b"RU", 8),
    (*b"BR", 7),
    (*b"IN", 7),
    (*b"VN", 5),
    (*b"KR", 5),
    (*b"NL", 5),
    (*b"TW", 4),
    (*b"DE", 4),
    (*b"SG", 4),
    (*b"HK", 4),
    (*b"GB", 3),
    (*b"FR", 3),
    (*b"JP", 4),
    (*b"ZZ", 1),
];

/// Most source addresses a run draws from [`BLOCKS`] alone: the smallest
/// per-country capacity (86,016 addresses) stays at most about two thirds
/// full. Larger runs also draw from [`WIDE_BLOCKS`].
pub const MAX_ADDRESSES: u32 = 250_000;

/// Most source addresses a run may ask for (with [`WIDE_BLOCKS`]).
pub const MAX_WIDE_ADDRESSES: u32 = 12_000_000;

/// Blocks added to [`BLOCKS`] when a run asks for more than
/// [`MAX_ADDRESSES`] sources (telescope-scale days): per country, networks of
/// the bundled database holding 1.25 × its share of [`MAX_WIDE_ADDRESSES`],
/// and for ZZ a /14 the database does not cover. Printed and checked (first
/// and last address of every block look up to its country, inside one
/// network of the database) by `tools/make-geo-blocks.py`; runs of at most
/// [`MAX_ADDRESSES`] sources never use them, so their traffic is unchanged.
pub const WIDE_BLOCKS: &[([u8; 4], u8, [u8; 2])] = &[
    ([39, 128, 0, 0], 10, *b"CN"),
    ([3, 64, 0, 0], 10, *b"US"),
    ([5, 136, 0, 0], 13, *b"RU"),
    ([95, 24, 0, 0], 13, *b"RU"),
    ([178, 64, 0, 0], 13, *b"RU"),
    ([152, 240, 0, 0], 13, *b"BR"),
    ([177, 56, 0, 0], 13, *b"BR"),
    ([177, 112, 0, 0], 13, *b"BR"),
    ([117, 192, 0, 0], 11, *b"IN"),
    ([14, 160, 0, 0], 11, *b"VN"),
    ([121, 128, 0, 0], 10, *b"KR"),
    ([77, 160, 0, 0], 12, *b"NL"),
    ([120, 96, 0, 0], 11, *b"TW"),
    ([79, 192, 0, 0], 10, *b"DE"),
    ([42, 60, 0, 0], 15, *b"SG"),
    ([116, 14, 0, 0], 15, *b"SG"),
    ([118, 200, 0, 0], 15, *b"SG"),
    ([172, 236, 0, 0], 14, *b"SG"),
    ([113, 252, 0, 0], 14, *b"HK"),
    ([221, 124, 0, 0], 14, *b"HK"),
    ([223, 16, 0, 0], 14, *b"HK"),
    ([86, 128, 0, 0], 10, *b"GB"),
    ([176, 128, 0, 0], 10, *b"FR"),
    ([60, 64, 0, 0], 10, *b"JP"),
    ([9, 252, 0, 0], 14, *b"ZZ"),
];

/// A block as (first address, address count).
pub fn range_of(block: &([u8; 4], u8, [u8; 2])) -> (u32, u32) {
    let (octets, plen, _) = *block;
    (u32::from_be_bytes(octets), 1u32 << (32 - plen))
}

/// The country of `addr` by the block tables (`ZZ` outside every block).
/// An independent check of the generator's bookkeeping, used by the truth.
pub fn country_of(addr: u32) -> [u8; 2] {
    for block in BLOCKS.iter().chain(WIDE_BLOCKS) {
        let (first, count) = range_of(block);
        if addr.wrapping_sub(first) < count {
            return block.2;
        }
    }
    *b"ZZ"
}

/// One country's blocks as (first address, address count): of [`BLOCKS`],
/// and of [`WIDE_BLOCKS`] too when `wide`.
pub fn ranges_of(cc: [u8; 2], wide: bool) -> Vec<(u32, u32)> {
    let wide_blocks: &[([u8; 4], u8, [u8; 2])] = if wide { WIDE_BLOCKS } else { &[] };
    BLOCKS.iter().chain(wide_blocks).filter(|b| b.2 == cc).map(range_of).collect()
}
