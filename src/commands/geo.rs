//! Geo commands (~ Redis's `geo.c`): GEOADD GEODIST GEOHASH GEOPOS, the
//! search commands GEORADIUS GEORADIUSBYMEMBER (and their `_RO` variants)
//! GEOSEARCH GEOSEARCHSTORE.
//!
//! There is no geo type: a geo set is a sorted set whose scores are 52-bit
//! geohashes (the math, and why a search walks nine score ranges, is in
//! `db/geohash.rs`). So GEOADD validates coordinates, turns each into its
//! score and runs ZADD itself — it emits ZADD's keyspace events and reaches
//! replicas as the rewritten `ZADD key [NX|XX] [CH] score member ...`, as in
//! Redis. Every other sorted-set command works on geo sets unchanged.
//!
//! # The search pipeline (`georadiusGeneric`)
//!
//! 1. Look the source key up (WRONGTYPE first), read the centre and shape
//!    from the fixed arguments (GEORADIUS*) or from FROMLONLAT/FROMMEMBER
//!    and BYRADIUS/BYBOX (GEOSEARCH*), then the options, replying the first
//!    error in argument order exactly as Redis does; a missing source key
//!    skips member lookups but still validates the rest.
//! 2. Walk the nine cells' score ranges, keeping the points inside the
//!    shape with their distance; ANY stops once COUNT points are found.
//! 3. Sort by distance when asked (COUNT without ANY implies ASC), cut at
//!    COUNT, then reply (member, then WITHDIST, WITHHASH, WITHCOORD in that
//!    order) or store the result as a new sorted set scored by geohash or,
//!    with STOREDIST, by distance in the request's unit.
//!
//! Number formats: distances have exactly four decimals
//! (`fixedpoint_d2string`); coordinates are the exact decoded doubles printed
//! like `long double` `%.17Lf` with trailing zeros cut (GEOPOS, WITHCOORD);
//! hashes are integers.

use std::cmp::Ordering;

use crate::commands::zsets::{delete_dst, limits, set_key};
use crate::commands::{arg_eq, typed, WrongType, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::NOTIFY_ZSET;
use crate::db::geohash::{self, Shape, ShapeKind};
use crate::db::skiplist::ScoreRange;
use crate::db::zset::entry_bytes;
use crate::db::{Value, ZSetValue};
use crate::resp::reply::ReplyBuf;
use crate::server::{Ctx, Server};
use crate::util::long_double::LongDouble;
use crate::util::numbers;

const UNIT_ERR: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
const MEMBER_ERR: &str = "ERR could not decode requested zset member";

// ---------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------

/// `getDoubleFromObjectOrReply`: argument `i` as a double, or the error
/// (`msg`, or the generic float error) replied.
fn parse_double(ctx: &mut Ctx, i: usize, msg: Option<&str>) -> Option<f64> {
    let v = numbers::parse_f64(ctx.arg(i));
    if v.is_none() {
        ctx.out
            .error(msg.unwrap_or("ERR value is not a valid float"));
    }
    v
}

/// Arguments `i`, `i+1` as a longitude, latitude pair inside the indexable
/// area (`extractLongLatOrReply`).
fn extract_long_lat(ctx: &mut Ctx, i: usize) -> Option<[f64; 2]> {
    let lon = parse_double(ctx, i, None)?;
    let lat = parse_double(ctx, i + 1, None)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        ctx.out.error(&format!(
            "ERR invalid longitude,latitude pair {:.6},{:.6}",
            lon, lat
        ));
        return None;
    }
    Some([lon, lat])
}

/// Meters per unit for argument `i` (`extractUnitOrReply`).
fn extract_unit(ctx: &mut Ctx, i: usize) -> Option<f64> {
    let u = ctx.arg(i);
    let factor = if arg_eq(u, "m") {
        1.0
    } else if arg_eq(u, "km") {
        1000.0
    } else if arg_eq(u, "ft") {
        0.3048
    } else if arg_eq(u, "mi") {
        1609.34
    } else {
        ctx.out.error(UNIT_ERR);
        return None;
    };
    Some(factor)
}

/// `radius unit` at `i` (`extractDistanceOrReply`): (radius, meters per unit).
fn extract_distance(ctx: &mut Ctx, i: usize) -> Option<(f64, f64)> {
    let radius = parse_double(ctx, i, Some("ERR need numeric radius"))?;
    if radius < 0.0 {
        ctx.out.error("ERR radius cannot be negative");
        return None;
    }
    Some((radius, extract_unit(ctx, i + 1)?))
}

/// `width height unit` at `i` (`extractBoxOrReply`): (width, height, meters
/// per unit).
fn extract_box(ctx: &mut Ctx, i: usize) -> Option<(f64, f64, f64)> {
    let width = parse_double(ctx, i, Some("ERR need numeric width"))?;
    let height = parse_double(ctx, i + 1, Some("ERR need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        ctx.out.error("ERR height or width cannot be negative");
        return None;
    }
    Some((width, height, extract_unit(ctx, i + 2)?))
}

/// A distance with four decimals (`addReplyDoubleDistance`).
fn reply_distance(out: &mut ReplyBuf, d: f64) {
    let mut s = Vec::with_capacity(24);
    numbers::fixedpoint_d2string(d, 4, &mut s);
    out.bulk(&s);
}

/// A coordinate as Redis's `addReplyHumanLongDouble` prints it: a bulk
/// string in RESP2, a `,` double in RESP3, both in `%.17Lf` human form.
fn reply_coord(out: &mut ReplyBuf, d: f64) {
    let s = LongDouble::from_f64(d)
        .to_human_string()
        .unwrap_or_default();
    if out.resp >= 3 {
        out.raw(format!(",{}\r\n", s).as_bytes());
    } else {
        out.bulk(s.as_bytes());
    }
}

/// The position of `member` in the geo set at `key`, `None` when the key
/// or member is missing (`longLatFromMember`). No keyspace statistics:
/// the caller already did the counted lookup.
fn member_long_lat(srv: &mut Server, db: usize, key: &[u8], member: &[u8]) -> Option<[f64; 2]> {
    let o = srv.lookup_read_notouch(db, key)?;
    let z = o.value.zset_mut()?;
    geohash::decode_score(z.score(member)?)
}

// ---------------------------------------------------------------------------
// GEOADD
// ---------------------------------------------------------------------------

/// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
///
/// Validates every triple, then runs ZADD with each position's geohash as
/// the score; the ZADD argument vector is also what gets propagated.
pub fn geoadd_command(srv: &mut Server, ctx: &mut Ctx) {
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while longidx < ctx.argc() {
        let o = ctx.arg(longidx);
        if arg_eq(o, "nx") {
            nx = true;
        } else if arg_eq(o, "xx") {
            xx = true;
        } else if !arg_eq(o, "ch") {
            break;
        }
        longidx += 1;
    }
    if !(ctx.argc() - longidx).is_multiple_of(3) || (xx && nx) {
        return ctx.out.error(SYNTAX_ERR);
    }
    let elements = (ctx.argc() - longidx) / 3;
    let mut zadd_argv: Vec<Vec<u8>> = Vec::with_capacity(longidx + elements * 2);
    zadd_argv.push(b"zadd".to_vec());
    zadd_argv.extend(ctx.argv[1..longidx].iter().cloned());
    for e in 0..elements {
        let at = longidx + 3 * e;
        let Some([lon, lat]) = extract_long_lat(ctx, at) else {
            return;
        };
        // In range by construction, so the encoding cannot fail.
        let score = geohash::score_of(lon, lat).unwrap_or(0);
        let mut s = Vec::with_capacity(20);
        numbers::fmt_u64(score, &mut s);
        zadd_argv.push(s);
        zadd_argv.push(ctx.argv[at + 2].clone());
    }
    ctx.original_argv = Some(std::mem::replace(&mut ctx.argv, zadd_argv.clone()));
    ctx.rewrite_as(zadd_argv);
    crate::commands::zsets::zadd_command(srv, ctx);
}

// ---------------------------------------------------------------------------
// GEORADIUS / GEORADIUSBYMEMBER / GEOSEARCH / GEOSEARCHSTORE
// ---------------------------------------------------------------------------

/// Which search command is running (Redis's `RADIUS_*` / `GEOSEARCH*` flags).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SearchKind {
    /// GEORADIUS key lon lat radius unit ...
    Coords { store_ok: bool },
    /// GEORADIUSBYMEMBER key member radius unit ...
    Member { store_ok: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE dst key ...
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found by a search (`geoPoint`).
struct GeoPoint {
    lon: f64,
    lat: f64,
    /// Meters while searching; the request's unit once reported.
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// Appends the points of one cell that lie in `shape`
/// (`geoGetPointsInRange`): the cell is the score range `[min, max)`.
/// With a `limit` (ANY), stops once `found` holds that many points.
fn points_in_cell(
    z: &ZSetValue,
    cell: geohash::HashBits,
    shape: &Shape,
    found: &mut Vec<GeoPoint>,
    limit: usize,
) {
    let (min, max) = cell.score_range();
    let range = ScoreRange {
        min: min as f64,
        max: max as f64,
        minex: false,
        maxex: true,
    };
    let mut done = false;
    z.range_by_score(&range, 0, -1, false, |m, score| {
        if done {
            return;
        }
        if let Some([lon, lat]) = geohash::decode_score(score) {
            if let Some(dist) = shape.contains(lon, lat) {
                found.push(GeoPoint {
                    lon,
                    lat,
                    dist,
                    score,
                    member: entry_bytes(m),
                });
            }
        }
        if limit > 0 && found.len() >= limit {
            done = true;
        }
    });
}

/// Walks the nine cells of a search (`membersOfAllNeighbors`). With a huge
/// radius neighbouring cells can coincide; a cell equal to the last one
/// walked is skipped so its points are not reported twice.
fn search_points(z: &ZSetValue, shape: &Shape, limit: usize) -> Vec<GeoPoint> {
    let cells = shape.search_cells();
    let mut found = Vec::new();
    let mut last_walked = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        if last_walked != 0 && *cell == cells[last_walked] {
            continue;
        }
        if limit > 0 && found.len() >= limit {
            break;
        }
        points_in_cell(z, *cell, shape, &mut found, limit);
        last_walked = i;
    }
    found
}

/// Redis's `pqsort` (`pqsort.c`, a Bentley-McIlroy quicksort that skips
/// partitions outside the wanted range): afterwards `v[lrange..=rrange]`
/// hold the elements a full sort would put there, in order. Like any
/// quicksort it is not stable, so it is reproduced step for step: which
/// of several equally distant points make the COUNT cut, and in what
/// order, must be the ones Redis picks.
fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    pqsort_part(v, cmp, 0, v.len(), lrange, rrange);
}

/// One partition step of [`pqsort`] on `v[a..a + n]`.
fn pqsort_part<T>(
    v: &mut [T],
    cmp: &impl Fn(&T, &T) -> Ordering,
    mut a: usize,
    mut n: usize,
    lrange: usize,
    rrange: usize,
) {
    let med3 = |v: &[T], x: usize, y: usize, z: usize| -> usize {
        if cmp(&v[x], &v[y]).is_lt() {
            if cmp(&v[y], &v[z]).is_lt() {
                y
            } else if cmp(&v[x], &v[z]).is_lt() {
                z
            } else {
                x
            }
        } else if cmp(&v[y], &v[z]).is_gt() {
            y
        } else if cmp(&v[x], &v[z]).is_lt() {
            x
        } else {
            z
        }
    };
    let vecswap = |v: &mut [T], x: usize, y: usize, k: usize| {
        for i in 0..k {
            v.swap(x + i, y + i);
        }
    };
    // Whether the wanted range misses the part [start, start + len).
    let outside = |start: usize, len: usize| {
        let end = start + len - 1;
        (lrange < start && rrange < start) || (lrange > end && rrange > end)
    };
    loop {
        if n < 7 {
            // Insertion sort for tiny parts.
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && cmp(&v[l - 1], &v[l]).is_gt() {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d);
                pm = med3(v, pm - d, pm, pm + d);
                pn = med3(v, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, pl, pm, pn);
        }
        v.swap(a, pm);
        // Three-way partition around the pivot at `a`: equal keys are
        // parked at both ends and swapped to the middle afterwards.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c.is_gt() {
                    break;
                }
                if c.is_eq() {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c.is_lt() {
                    break;
                }
                if c.is_eq() {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && !outside(a, r) {
            pqsort_part(v, cmp, a, r, lrange, rrange);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if !outside(a, n) {
                continue;
            }
        }
        return;
    }
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST]
/// [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
pub fn georadius_command(srv: &mut Server, ctx: &mut Ctx) {
    georadius_generic(srv, ctx, 1, SearchKind::Coords { store_ok: true })
}

/// GEORADIUS_RO: GEORADIUS without STORE/STOREDIST.
pub fn georadius_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    georadius_generic(srv, ctx, 1, SearchKind::Coords { store_ok: false })
}

/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
pub fn georadiusbymember_command(srv: &mut Server, ctx: &mut Ctx) {
    georadius_generic(srv, ctx, 1, SearchKind::Member { store_ok: true })
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE/STOREDIST.
pub fn georadiusbymember_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    georadius_generic(srv, ctx, 1, SearchKind::Member { store_ok: false })
}

/// GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat BYRADIUS r unit|BYBOX
/// w h unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
pub fn geosearch_command(srv: &mut Server, ctx: &mut Ctx) {
    georadius_generic(srv, ctx, 1, SearchKind::Search)
}

/// GEOSEARCHSTORE destination source FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX
/// ... [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
pub fn geosearchstore_command(srv: &mut Server, ctx: &mut Ctx) {
    georadius_generic(srv, ctx, 2, SearchKind::SearchStore)
}

/// The keys of GEORADIUS / GEORADIUSBYMEMBER for COMMAND GETKEYS, found
/// the way Redis 7.0's key specs find them: the source, then the key after
/// the first `STORE` and the key after the first `STOREDIST`, each keyword
/// searched from the first optional argument (`first_opt`: 6 or 5) and
/// never as the last argument.
pub fn georadius_get_keys(argv: &[Vec<u8>], first_opt: usize) -> Vec<usize> {
    let mut keys = vec![1];
    for kw in ["store", "storedist"] {
        let end = argv.len().saturating_sub(1);
        if let Some(i) = (first_opt..end).find(|&i| arg_eq(&argv[i], kw)) {
            keys.push(i + 1);
        }
    }
    keys
}

/// The shared search (`georadiusGeneric`); `src` is the source key's index.
fn georadius_generic(srv: &mut Server, ctx: &mut Ctx, src: usize, kind: SearchKind) {
    let db = ctx.db;
    let key = ctx.argv[src].clone();
    let exists = match typed(srv.lookup_read(db, &key), Value::zset_mut) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(z) => z.is_some(),
    };
    let geosearch = matches!(kind, SearchKind::Search | SearchKind::SearchStore);
    let store_ok = matches!(
        kind,
        SearchKind::Coords { store_ok: true } | SearchKind::Member { store_ok: true }
    );

    let mut xy = [0.0; 2];
    let mut conversion = 1.0;
    let mut shape_kind: Option<ShapeKind> = None;
    let mut storekey: Option<Vec<u8>> = None;
    let base = match kind {
        SearchKind::Coords { .. } => {
            let Some(c) = extract_long_lat(ctx, 2) else {
                return;
            };
            let Some((radius, conv)) = extract_distance(ctx, 4) else {
                return;
            };
            xy = c;
            conversion = conv;
            shape_kind = Some(ShapeKind::Circle { radius });
            6
        }
        // Without a source key the member cannot be looked up, but the
        // options are still parsed to pick the right reply.
        SearchKind::Member { .. } if !exists => 5,
        SearchKind::Member { .. } => {
            let Some(c) = member_long_lat(srv, db, &key, &ctx.argv[2]) else {
                return ctx.out.error(MEMBER_ERR);
            };
            let Some((radius, conv)) = extract_distance(ctx, 3) else {
                return;
            };
            xy = c;
            conversion = conv;
            shape_kind = Some(ShapeKind::Circle { radius });
            5
        }
        SearchKind::Search => 2,
        SearchKind::SearchStore => {
            storekey = Some(ctx.argv[1].clone());
            3
        }
    };

    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut storedist = false;
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let argc = ctx.argc();
    let mut i = base;
    while i < argc {
        let arg = ctx.arg(i);
        let has = |n: usize| i + n < argc;
        if arg_eq(arg, "withdist") {
            withdist = true;
        } else if arg_eq(arg, "withhash") {
            withhash = true;
        } else if arg_eq(arg, "withcoord") {
            withcoords = true;
        } else if arg_eq(arg, "any") {
            any = true;
        } else if arg_eq(arg, "asc") {
            sort = Sort::Asc;
        } else if arg_eq(arg, "desc") {
            sort = Sort::Desc;
        } else if arg_eq(arg, "count") && has(1) {
            let Some(n) = numbers::parse_i64(ctx.arg(i + 1)) else {
                return ctx.out.error(NOT_INT_ERR);
            };
            if n <= 0 {
                return ctx.out.error("ERR COUNT must be > 0");
            }
            count = n;
            i += 1;
        } else if (arg_eq(arg, "store") || arg_eq(arg, "storedist")) && has(1) && store_ok {
            storedist = arg_eq(arg, "storedist");
            storekey = Some(ctx.argv[i + 1].clone());
            i += 1;
        } else if arg_eq(arg, "storedist") && kind == SearchKind::SearchStore {
            storedist = true;
        } else if arg_eq(arg, "frommember") && has(1) && geosearch && !fromloc {
            if exists {
                let Some(c) = member_long_lat(srv, db, &key, &ctx.argv[i + 1]) else {
                    return ctx.out.error(MEMBER_ERR);
                };
                xy = c;
            }
            frommember = true;
            i += 1;
        } else if arg_eq(arg, "fromlonlat") && has(2) && geosearch && !frommember {
            let Some(c) = extract_long_lat(ctx, i + 1) else {
                return;
            };
            xy = c;
            fromloc = true;
            i += 2;
        } else if arg_eq(arg, "byradius") && has(2) && geosearch && !bybox {
            let Some((radius, conv)) = extract_distance(ctx, i + 1) else {
                return;
            };
            conversion = conv;
            shape_kind = Some(ShapeKind::Circle { radius });
            byradius = true;
            i += 2;
        } else if arg_eq(arg, "bybox") && has(3) && geosearch && !byradius {
            let Some((width, height, conv)) = extract_box(ctx, i + 1) else {
                return;
            };
            conversion = conv;
            shape_kind = Some(ShapeKind::Box { width, height });
            bybox = true;
            i += 3;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        i += 1;
    }

    if storekey.is_some() && (withdist || withhash || withcoords) {
        return ctx.out.error(&format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if kind == SearchKind::SearchStore {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        ));
    }
    // The command name is echoed as the client typed it.
    let name = String::from_utf8_lossy(ctx.arg(0)).into_owned();
    if geosearch && !(frommember || fromloc) {
        return ctx.out.error(&format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name
        ));
    }
    if geosearch && !(byradius || bybox) {
        return ctx.out.error(&format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
            name
        ));
    }
    if any && count == 0 {
        return ctx
            .out
            .error("ERR the ANY argument requires COUNT argument");
    }

    if !exists {
        match storekey {
            Some(dst) => {
                delete_dst(srv, ctx, &dst);
                ctx.out.int(0);
            }
            None => ctx.out.array_len(0),
        }
        return;
    }

    // COUNT means "the nearest N": sort ascending unless told otherwise,
    // except with ANY, which takes the first N found.
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let Some(shape_kind) = shape_kind else {
        return ctx.out.error(SYNTAX_ERR);
    };
    let shape = Shape {
        xy,
        conversion,
        kind: shape_kind,
    };
    let limit = if any { count as usize } else { 0 };
    let mut points = match srv.lookup_read_notouch(db, &key) {
        Some(o) => match o.value.zset_mut() {
            Some(z) => search_points(z, &shape, limit),
            None => Vec::new(),
        },
        None => Vec::new(),
    };

    if points.is_empty() && storekey.is_none() {
        return ctx.out.array_len(0);
    }
    let returned = if count == 0 {
        points.len()
    } else {
        points.len().min(count as usize)
    };
    if sort != Sort::None {
        let cmp = |a: &GeoPoint, b: &GeoPoint| {
            let o = a.dist.total_cmp(&b.dist);
            if sort == Sort::Desc {
                o.reverse()
            } else {
                o
            }
        };
        if returned == points.len() {
            // A stable sort, like glibc's qsort (a merge sort): equal
            // distances keep the order the cells were walked in.
            points.sort_by(cmp);
        } else {
            // Only the first `returned` are needed: Redis's partial
            // quicksort, whose order among equal distances we reproduce.
            pqsort(&mut points, &cmp, 0, returned - 1);
        }
    }
    points.truncate(returned);
    for p in &mut points {
        p.dist /= shape.conversion;
    }

    let Some(dst) = storekey else {
        let options = usize::from(withdist) + usize::from(withcoords) + usize::from(withhash);
        ctx.out.array_len(points.len());
        for p in &points {
            if options > 0 {
                ctx.out.array_len(options + 1);
            }
            ctx.out.bulk(&p.member);
            if withdist {
                reply_distance(&mut ctx.out, p.dist);
            }
            if withhash {
                ctx.out.int(p.score as i64);
            }
            if withcoords {
                ctx.out.array_len(2);
                reply_coord(&mut ctx.out, p.lon);
                reply_coord(&mut ctx.out, p.lat);
            }
        }
        return;
    };

    if points.is_empty() {
        delete_dst(srv, ctx, &dst);
        return ctx.out.int(0);
    }
    let lim = limits(srv);
    let mut z = ZSetValue::new_skiplist();
    let (mut maxelelen, mut totelelen) = (0, 0);
    for p in &points {
        maxelelen = maxelelen.max(p.member.len());
        totelelen += p.member.len();
        let score = if storedist { p.dist } else { p.score };
        z.add(score, &p.member, Default::default(), lim);
    }
    z.convert_to_listpack_if_needed(maxelelen, totelelen, lim);
    set_key(srv, ctx, &dst, z);
    let event = if geosearch {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    srv.notify(ctx, NOTIFY_ZSET, event, &dst, db);
    srv.dirty += points.len() as u64;
    ctx.out.int(points.len() as i64);
}

// ---------------------------------------------------------------------------
// GEOHASH / GEOPOS / GEODIST
// ---------------------------------------------------------------------------

/// GEOHASH key [member ...]: each member's 11-character geohash, null for
/// a missing member.
pub fn geohash_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let z = match typed(srv.lookup_read(db, &key), Value::zset_mut) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(z) => z,
    };
    ctx.out.array_len(ctx.argc() - 2);
    for m in &ctx.argv[2..] {
        match z
            .as_ref()
            .and_then(|z| z.score(m))
            .and_then(geohash::decode_score)
        {
            Some(xy) => ctx.out.bulk(&geohash::geohash_string(xy)),
            None => ctx.out.null(),
        }
    }
}

/// GEOPOS key [member ...]: each member's [longitude, latitude], a null
/// array for a missing member.
pub fn geopos_command(srv: &mut Server, ctx: &mut Ctx) {
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let z = match typed(srv.lookup_read(db, &key), Value::zset_mut) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(z) => z,
    };
    ctx.out.array_len(ctx.argc() - 2);
    for m in &ctx.argv[2..] {
        match z
            .as_ref()
            .and_then(|z| z.score(m))
            .and_then(geohash::decode_score)
        {
            Some([lon, lat]) => {
                ctx.out.array_len(2);
                reply_coord(&mut ctx.out, lon);
                reply_coord(&mut ctx.out, lat);
            }
            None => ctx.out.null_array(),
        }
    }
}

/// GEODIST key member1 member2 [M|KM|FT|MI]: the distance, null when a
/// member (or the key) is missing. The unit is checked before the key.
pub fn geodist_command(srv: &mut Server, ctx: &mut Ctx) {
    let to_meter = match ctx.argc() {
        5 => match extract_unit(ctx, 4) {
            Some(f) => f,
            None => return,
        },
        n if n > 5 => return ctx.out.error(SYNTAX_ERR),
        _ => 1.0,
    };
    let db = ctx.db;
    let key = ctx.argv[1].clone();
    let z = match typed(srv.lookup_read(db, &key), Value::zset_mut) {
        Err(WrongType) => return ctx.out.error(WRONGTYPE),
        Ok(None) => return ctx.out.null(),
        Ok(Some(z)) => z,
    };
    let (Some(s1), Some(s2)) = (z.score(&ctx.argv[2]), z.score(&ctx.argv[3])) else {
        return ctx.out.null();
    };
    match (geohash::decode_score(s1), geohash::decode_score(s2)) {
        (Some(a), Some(b)) => reply_distance(
            &mut ctx.out,
            geohash::distance(a[0], a[1], b[0], b[1]) / to_meter,
        ),
        _ => ctx.out.null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pqsort leaves the wanted range exactly as a full sort would.
    #[test]
    fn pqsort_sorts_the_wanted_range() {
        let mut seed = 0x1234_5678_u64;
        for n in [1usize, 2, 6, 7, 8, 40, 41, 100, 500] {
            for _ in 0..20 {
                let v: Vec<u32> = (0..n)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        (seed % 50) as u32
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort();
                let hi = (seed as usize) % n;
                let mut p = v.clone();
                pqsort(&mut p, &|a: &u32, b: &u32| a.cmp(b), 0, hi);
                assert_eq!(p[..=hi], sorted[..=hi], "n={n} hi={hi}");
                let mut q = v.clone();
                q.sort_unstable();
                p.sort_unstable();
                assert_eq!(p, q, "a permutation");
            }
        }
    }

    #[test]
    fn get_keys_follow_key_specs() {
        let argv = |s: &str| {
            s.split(' ')
                .map(|a| a.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            georadius_get_keys(&argv("georadius k 1 1 1 km"), 6),
            vec![1]
        );
        assert_eq!(
            georadius_get_keys(&argv("georadius k 1 1 1 km STOREDIST a store b"), 6),
            vec![1, 9, 7]
        );
        assert_eq!(
            georadius_get_keys(&argv("georadius k 1 1 1 km store"), 6),
            vec![1]
        );
        assert_eq!(
            georadius_get_keys(&argv("georadiusbymember k m 1 km store x"), 5),
            vec![1, 6]
        );
    }
}
