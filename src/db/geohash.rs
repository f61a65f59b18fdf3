//! Geohash math for the GEO commands (~ Redis's `geohash.c` and
//! `geohash_helper.c`).
//!
//! # A point is a sorted-set score
//!
//! A geo set is an ordinary sorted set whose scores encode positions. The
//! longitude range [-180, 180] and the latitude range
//! [-85.05112878, 85.05112878] (the Web Mercator limits; the poles cannot be
//! indexed) are each cut into 2^26 equal slices. A point's slice numbers,
//! two 26-bit integers, are *interleaved* bit by bit into one 52-bit
//! integer: latitude bits in the even positions, longitude bits in the odd
//! ones. 52 bits fit exactly in a double's mantissa, so that integer is
//! stored as the score without loss (`GEOADD` is `ZADD` with this score).
//!
//! Interleaving makes the score a Z-order curve: taking the top `2*step`
//! bits of a score names a rectangular cell of a `2^step x 2^step` grid,
//! and every point inside that cell has a score in one contiguous range,
//! `[prefix << (52 - 2*step), (prefix + 1) << (52 - 2*step))`. A cell is
//! therefore one `ZRANGEBYSCORE`-style walk of the sorted set.
//!
//! # Searching an area: nine cells
//!
//! To find the points within a circle or a box, the search picks the grid
//! level (`step`) whose cells are about as large as the search radius
//! ([`estimate_steps_by_radius`]), takes the cell that holds the centre and
//! its eight neighbours (N S E W NE NW SE SW). With cells at least as wide
//! as the radius, any point of the shape lies in one of those nine, even
//! when the centre sits at a cell's edge. Cells are axis-aligned while
//! distances on a sphere are not, so two corrections follow Redis exactly:
//! if a neighbour does not reach the shape's bounding box the step is
//! lowered once (bigger cells), and neighbours lying wholly outside the
//! bounding box are dropped ("zeroed") so their ranges are not walked. Every
//! candidate is then checked with the exact test (haversine distance for a
//! circle, per-axis distances for a box).
//!
//! The rejected alternative, one score range per cell of a finer covering,
//! costs many more range walks for little gain; nine walks keep the search
//! O(N + log M) in the points of those nine cells.
//!
//! # Exactness
//!
//! Every formula below is evaluated in the same order as Redis's C code,
//! with the same constants, so scores, decoded coordinates and distances
//! are bit-identical to Redis's (both call the platform's `sin`, `cos`,
//! `asin`, `sqrt`). That is what makes `ZRANGE ... WITHSCORES` on a geo
//! set, GEOPOS and WITHDIST replies byte-identical.

/// Grid level of stored scores: 26 bits per axis, 52 in all.
pub const STEP_MAX: u8 = 26;
/// Smallest indexable latitude (Web Mercator limit).
pub const LAT_MIN: f64 = -85.05112878;
/// Largest indexable latitude.
pub const LAT_MAX: f64 = 85.05112878;
/// Smallest longitude.
pub const LONG_MIN: f64 = -180.0;
/// Largest longitude.
pub const LONG_MAX: f64 = 180.0;

/// Earth's quadratic mean radius for WGS-84, in meters (Redis's value).
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
/// Half the Mercator world width in meters: the radius that needs step 1.
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians (`M_PI / 180.0`).
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A geohash: the top `2*step` bits of a score, right-aligned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    /// The "zeroed" hash marks a neighbour the search skips.
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash shifted up to a 52-bit score (`geohashAlign52Bits`).
    pub fn align52(&self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }

    /// The score range `[min, max)` holding every point of this cell
    /// (`scoresOfGeoHashBox`).
    pub fn score_range(&self) -> (u64, u64) {
        let next = HashBits {
            bits: self.bits + 1,
            step: self.step,
        };
        (self.align52(), next.align52())
    }
}

/// A closed coordinate interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    fn is_zero(&self) -> bool {
        self.min == 0.0 && self.max == 0.0
    }
}

/// Longitudes indexed by geo sets.
pub const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
/// Latitudes indexed by geo sets (Mercator limits).
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};
/// The standard geohash latitude range, used only for GEOHASH strings.
pub const STANDARD_LAT: Range = Range {
    min: -90.0,
    max: 90.0,
};

/// The rectangle a hash stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Area {
    pub hash: HashBits,
    pub longitude: Range,
    pub latitude: Range,
}

/// Spreads the low 32 bits of `x` over the even bit positions and those of
/// `y` over the odd ones (the classic "binary magic numbers" shuffle).
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of [`interleave64`]: (even bits, odd bits).
fn deinterleave64(v: u64) -> (u32, u32) {
    fn squash(mut v: u64) -> u32 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
        v as u32
    }
    (squash(v), squash(v >> 1))
}

/// Encodes a position at grid level `step` within the given ranges
/// (`geohashEncode`). `None` for a step outside 1..=32, an empty range, or
/// a position outside the indexable WGS-84 area or outside the ranges.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<HashBits> {
    if step > 32 || step == 0 || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let mut lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (longitude - long_range.min) / (long_range.max - long_range.min);
    let cells = (1u64 << step) as f64;
    lat_offset *= cells;
    long_offset *= cells;
    // The offsets are in [0, 2^step]: truncation, as a C cast does.
    Some(HashBits {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// [`encode`] in the geo-set ranges.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    encode(WGS84_LONG, WGS84_LAT, longitude, latitude, step)
}

/// The rectangle a hash covers (`geohashDecode`); `None` for the zeroed hash.
pub fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    let step = hash.step;
    let (ilato, ilono) = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let cells = (1u64 << step) as f64;
    // `+ 1` wraps in 32 bits, as the C unsigned arithmetic does.
    let cell = |i: u32, min: f64, scale: f64| min + (f64::from(i) * 1.0 / cells) * scale;
    Some(Area {
        hash,
        latitude: Range {
            min: cell(ilato, lat_range.min, lat_scale),
            max: cell(ilato.wrapping_add(1), lat_range.min, lat_scale),
        },
        longitude: Range {
            min: cell(ilono, long_range.min, long_scale),
            max: cell(ilono.wrapping_add(1), long_range.min, long_scale),
        },
    })
}

/// The centre of a cell, clamped to the indexable area
/// (`geohashDecodeToLongLatWGS84`): `[longitude, latitude]`.
pub fn decode_to_long_lat(hash: HashBits) -> Option<[f64; 2]> {
    let area = decode(WGS84_LONG, WGS84_LAT, hash)?;
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some([lon, lat])
}

/// A C `(uint64_t)` cast of a double as x86-64 performs it (scores set
/// with ZADD can be anything): values below 2^63, negatives included, go
/// through a signed conversion; from 2^63 the top bit is added back; what
/// cannot be represented becomes the "integer indefinite" pattern.
fn c_double_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let signed = |v: f64| -> u64 {
        if (-TWO_63..TWO_63).contains(&v) {
            (v as i64) as u64
        } else {
            1u64 << 63
        }
    };
    if d < TWO_63 {
        signed(d)
    } else {
        signed(d - TWO_63) ^ (1u64 << 63)
    }
}

/// Decodes a geo-set score into `[longitude, latitude]` (`decodeGeohash`).
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    decode_to_long_lat(HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    })
}

/// The score GEOADD stores for a position, `None` outside the indexable
/// area.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(|h| h.align52())
}

/// The 11-character base32 geohash GEOHASH replies: the position decoded
/// from the score, re-encoded in the standard latitude range [-90, 90]
/// (geo sets use the Mercator range internally), 52 bits in 10 characters
/// and a final character for bits that are not stored, always '0'.
pub fn geohash_string(xy: [f64; 2]) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let bits = encode(WGS84_LONG, STANDARD_LAT, xy[0], xy[1], STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

/// Moves a hash one cell east (`d > 0`) or west along the odd (longitude)
/// bits, wrapping around at the grid's edge (`geohash_move_x`).
fn move_x(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    // Filling the other axis' bits with ones makes the carry of +1 skip them.
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaa >> shift;
    hash.bits = x | y;
}

/// Like [`move_x`] along the even (latitude) bits (`geohash_move_y`).
fn move_y(hash: &mut HashBits, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555 >> shift;
    hash.bits = x | y;
}

/// The eight cells around one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Neighbors {
    pub north: HashBits,
    pub south: HashBits,
    pub east: HashBits,
    pub west: HashBits,
    pub north_east: HashBits,
    pub north_west: HashBits,
    pub south_east: HashBits,
    pub south_west: HashBits,
}

/// The eight neighbours of a cell (`geohashNeighbors`).
pub fn neighbors(hash: HashBits) -> Neighbors {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    Neighbors {
        east: at(1, 0),
        west: at(-1, 0),
        south: at(0, -1),
        north: at(0, 1),
        north_west: at(-1, 1),
        north_east: at(1, 1),
        south_east: at(1, -1),
        south_west: at(-1, -1),
    }
}

/// The grid level whose cells are about `range_meters` wide at latitude
/// `lat` (`geohashEstimateStepsByRadius`): double the range until it
/// reaches the Mercator half-width, back off two levels so the radius
/// stays inside most cells, and one or two more near the poles where
/// cells shrink east-west. Framed to 1..=26; radius 0 is the finest level.
pub fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return STEP_MAX;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// What is searched: a circle of `radius` or a `width x height` box (in
/// the request's unit), around `xy`, with `conversion` meters per unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub xy: [f64; 2],
    pub conversion: f64,
    pub kind: ShapeKind,
}

/// The two search shapes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShapeKind {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

impl Shape {
    /// `[min_lon, min_lat, max_lon, max_lat]` enclosing the shape
    /// (`geohashBoundingBox`). East-west extent is taken at the latitude
    /// where it is widest: the edge nearer the pole in each hemisphere.
    pub fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.xy;
        let (half_h, half_w) = match self.kind {
            ShapeKind::Circle { radius } => (radius, radius),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            longitude - long_delta,
            latitude - lat_delta,
            longitude + long_delta,
            latitude + lat_delta,
        ]
    }

    /// The distance from the centre to the farthest point of the shape,
    /// in meters (for a box, its half diagonal).
    fn radius_meters(&self) -> f64 {
        let r = match self.kind {
            ShapeKind::Circle { radius } => radius,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }

    /// Whether a point lies in the shape, and if so its distance from the
    /// centre in meters (`geoWithinShape` after decoding).
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Circle { radius } => {
                let d = distance(self.xy[0], self.xy[1], lon, lat);
                (d <= radius * self.conversion).then_some(d)
            }
            ShapeKind::Box { width, height } => distance_if_in_rectangle(
                width * self.conversion,
                height * self.conversion,
                self.xy[0],
                self.xy[1],
                lon,
                lat,
            ),
        }
    }

    /// The cells to walk for this shape (`geohashCalculateAreasByShapeWGS84`),
    /// in Redis's order: centre, N, S, E, W, NE, NW, SE, SW; skipped
    /// neighbours are zeroed.
    pub fn search_cells(&self) -> [HashBits; 9] {
        let bounds = self.bounding_box();
        let [min_lon, min_lat, max_lon, max_lat] = bounds;
        let [longitude, latitude] = self.xy;
        let mut steps = estimate_steps_by_radius(self.radius_meters(), latitude);
        let cell_at = |steps: u8| {
            let hash = encode_wgs84(longitude, latitude, steps).unwrap_or(HashBits {
                bits: 0,
                step: steps,
            });
            let area = decode(WGS84_LONG, WGS84_LAT, hash).unwrap_or_default();
            (hash, neighbors(hash), area)
        };
        let (mut hash, mut nb, mut area) = cell_at(steps);

        // Near a cell edge the estimated level can be too fine: a neighbour
        // does not reach the bounding box. Then use cells twice as large.
        let dec = |h: HashBits| decode(WGS84_LONG, WGS84_LAT, h).unwrap_or_default();
        let too_fine = dec(nb.north).latitude.max < max_lat
            || dec(nb.south).latitude.min > min_lat
            || dec(nb.east).longitude.max < max_lon
            || dec(nb.west).longitude.min > min_lon;
        if steps > 1 && too_fine {
            steps -= 1;
            (hash, nb, area) = cell_at(steps);
        }

        // Drop the neighbours beyond an edge the centre cell already covers.
        if steps >= 2 {
            let zero = HashBits::default();
            if area.latitude.min < min_lat {
                nb.south = zero;
                nb.south_west = zero;
                nb.south_east = zero;
            }
            if area.latitude.max > max_lat {
                nb.north = zero;
                nb.north_east = zero;
                nb.north_west = zero;
            }
            if area.longitude.min < min_lon {
                nb.west = zero;
                nb.south_west = zero;
                nb.north_west = zero;
            }
            if area.longitude.max > max_lon {
                nb.east = zero;
                nb.south_east = zero;
                nb.north_east = zero;
            }
        }
        [
            hash,
            nb.north,
            nb.south,
            nb.east,
            nb.west,
            nb.north_east,
            nb.north_west,
            nb.south_east,
            nb.south_west,
        ]
    }
}

/// Distance in meters between two latitudes on one meridian
/// (`geohashGetLatDistance`).
pub fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// Great-circle distance in meters by the haversine formula
/// (`geohashGetDistance`); same-longitude pairs take the cheaper meridian
/// formula, as Redis does (the results can differ in the last bits).
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// Whether `(x2, y2)` lies in the `width_m x height_m` box centred on
/// `(x1, y1)` (each axis measured along the sphere), and if so its
/// distance from the centre (`geohashGetDistanceIfInRectangle`).
pub fn distance_if_in_rectangle(
    width_m: f64,
    height_m: f64,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
) -> Option<f64> {
    if lat_distance(y2, y1) > height_m / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > width_m / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trip() {
        for &(x, y) in &[
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            let v = interleave64(x, y);
            assert_eq!(deinterleave64(v), (x, y));
        }
        assert_eq!(interleave64(1, 0), 1);
        assert_eq!(interleave64(0, 1), 2);
        assert_eq!(interleave64(3, 3), 0b1111);
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        // followed by ZRANGE Sicily 0 -1 WITHSCORES on Redis 7.0.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(0.0, 0.0), Some(3377699720527872));
        assert_eq!(score_of(-180.0, LAT_MIN), Some(0));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    #[test]
    fn decode_is_cell_centre() {
        let xy = decode_score(3479099956230698.0).unwrap();
        assert!((xy[0] - 13.361389).abs() < 1e-5 && (xy[1] - 38.115556).abs() < 1e-5);
        // Any score decodes to something within the indexable area.
        for s in [-1.0, 1e30, f64::INFINITY, 9007199254740992.0] {
            let [lon, lat] = decode_score(s).unwrap();
            assert!((LONG_MIN..=LONG_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat));
        }
    }

    #[test]
    fn c_cast_semantics() {
        assert_eq!(c_double_to_u64(5.9), 5);
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(1e30), 0);
    }

    #[test]
    fn geohash_strings() {
        // GEOHASH Sicily Palermo Catania on Redis 7.0.
        let p = decode_score(3479099956230698.0).unwrap();
        let c = decode_score(3479447370796909.0).unwrap();
        assert_eq!(&geohash_string(p), b"sqc8b49rny0");
        assert_eq!(&geohash_string(c), b"sqdtr74hyu0");
    }

    #[test]
    fn neighbors_move_one_cell() {
        let h = encode_wgs84(0.0, 0.0, 4).unwrap();
        let a = decode(WGS84_LONG, WGS84_LAT, h).unwrap();
        let n = neighbors(h);
        let east = decode(WGS84_LONG, WGS84_LAT, n.east).unwrap();
        let north = decode(WGS84_LONG, WGS84_LAT, n.north).unwrap();
        let sw = decode(WGS84_LONG, WGS84_LAT, n.south_west).unwrap();
        assert_eq!(east.longitude.min, a.longitude.max);
        assert_eq!(east.latitude, a.latitude);
        assert_eq!(north.latitude.min, a.latitude.max);
        assert_eq!(north.longitude, a.longitude);
        assert_eq!(sw.longitude.max, a.longitude.min);
        assert_eq!(sw.latitude.max, a.latitude.min);
        // The grid wraps around in longitude.
        let edge = encode_wgs84(179.9, 0.0, 4).unwrap();
        let wrapped = decode(WGS84_LONG, WGS84_LAT, neighbors(edge).east).unwrap();
        assert_eq!(wrapped.longitude.min, LONG_MIN);
    }

    #[test]
    fn step_estimation() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(1000.0, 0.0), 14);
        assert_eq!(estimate_steps_by_radius(1000.0, 70.0), 13);
        assert_eq!(estimate_steps_by_radius(1000.0, -85.0), 12);
        assert_eq!(estimate_steps_by_radius(5_000_000.0, 0.0), 2);
        assert_eq!(estimate_steps_by_radius(10_000_000.0, 0.0), 1);
        assert_eq!(estimate_steps_by_radius(1e9, 0.0), 1);
        assert_eq!(estimate_steps_by_radius(0.001, 0.0), 26);
    }

    #[test]
    fn distances() {
        // GEODIST Sicily Palermo Catania = 166274.1516 m on Redis 7.0.
        let p = decode_score(3479099956230698.0).unwrap();
        let c = decode_score(3479447370796909.0).unwrap();
        let d = distance(p[0], p[1], c[0], c[1]);
        assert!((d - 166274.1516).abs() < 1e-4, "{d}");
        assert_eq!(distance(10.0, 20.0, 10.0, 20.0), 0.0);
        assert_eq!(distance(10.0, 0.0, 10.0, 1.0), lat_distance(0.0, 1.0));
    }

    #[test]
    fn shapes() {
        let circle = Shape {
            xy: [0.0, 0.0],
            conversion: 1000.0,
            kind: ShapeKind::Circle { radius: 10.0 },
        };
        assert!(circle.contains(0.05, 0.05).is_some());
        assert!(circle.contains(0.1, 0.0).is_none());
        let b = Shape {
            xy: [0.0, 0.0],
            conversion: 1000.0,
            kind: ShapeKind::Box {
                width: 20.0,
                height: 2.0,
            },
        };
        assert!(b.contains(0.08, 0.0).is_some());
        assert!(b.contains(0.0, 0.01).is_none());
        let cells = circle.search_cells();
        assert!(!cells[0].is_zero());
        // The centre's cell is always walked and holds the centre.
        let (min, max) = cells[0].score_range();
        let s = score_of(0.0, 0.0).unwrap();
        assert!(min <= s && s < max);
    }
}
