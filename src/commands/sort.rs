//! SORT and SORT_RO (~ Redis's `sort.c`).
//!
//! # Format
//!
//! ```text
//! SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
//! SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
//! ```
//!
//! # The algorithm
//!
//! SORT is a small pipeline over a vector of elements.
//!
//! 1. **Parse.** Options are read left to right; a later ASC/DESC wins, a
//!    bad LIMIT number answers `ERR value is not an integer or out of
//!    range`, anything unknown (STORE included, for SORT_RO) is a syntax
//!    error. Only then is the key looked up: a missing key sorts as an empty
//!    list, and anything but a list, set or sorted set is WRONGTYPE.
//! 2. **Load.** Every element is copied into the vector. A BY pattern with
//!    no `*` means "do not sort" (`BY nosort`): lists and sorted sets then
//!    keep their native order (a sorted set's is by score, which is the
//!    point of the special case), and LIMIT is applied while loading, walking
//!    from the tail when DESC is given. A set has no native order, so when
//!    the result is stored it is sorted ALPHA anyway, to keep replicas and
//!    the AOF deterministic.
//! 3. **Weights.** Each element gets a sort key: the element itself, or the
//!    value found by substituting the element for the first `*` of the BY
//!    pattern. A pattern `prefix*suffix->field` reads `field` of the hash at
//!    `prefix<element>suffix`; without `->` (or with nothing after it) the
//!    key must hold a string. A missing weight counts as 0 numerically and
//!    sorts first in ALPHA mode. Numeric weights are read the way C's
//!    `strtod` reads them; a weight that is not entirely a number, is NaN or
//!    is out of range sets a flag and the command answers `ERR One or more
//!    scores can't be converted into double` (after finishing the load,
//!    as Redis does).
//! 4. **Compare.** Numeric mode orders by weight and breaks ties by the
//!    elements' bytes, so the result never depends on the load order. ALPHA
//!    orders weights (or elements) by bytes; Redis uses `strcoll` when not
//!    storing, which in the C locale is byte order of the string up to its
//!    first NUL. DESC reverses the whole comparison, tie-break included.
//!    Redis uses a partial quicksort when LIMIT selects a window; a full
//!    stable sort gives the same window.
//! 5. **Emit.** The window `[offset, offset + count)` (clamped; a negative
//!    count means "to the end") is replied, or for each element every GET
//!    pattern is resolved the same way as BY (`#` is the element itself; a
//!    pattern without `*` finds nothing) and a missing target is a null.
//! 6. **Store.** With STORE the emitted values (missing GET targets become
//!    empty strings) are written as a new list, replacing whatever the key
//!    held and dropping its TTL, with the `sortstore` event; an empty result
//!    deletes the destination instead (`del`). The reply is the length.

use crate::commands::{arg_eq, NOT_INT_ERR, SYNTAX_ERR, WRONGTYPE};
use crate::config::{NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_NEW};
use crate::db::{Quicklist, RObj, Value};
use crate::server::{Ctx, Server};
use crate::util::numbers;
use std::cmp::Ordering;

/// One element of the vector being sorted (Redis's `redisSortObject`).
struct SortItem {
    /// The element itself.
    obj: Vec<u8>,
    /// Numeric weight (0 when the BY target is missing).
    score: f64,
    /// ALPHA weight from a BY pattern; None when the target is missing.
    cmp: Option<Vec<u8>>,
}

/// How the vector is ordered.
#[derive(Clone, Copy)]
struct SortMode {
    desc: bool,
    alpha: bool,
    by_pattern: bool,
    store: bool,
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
pub fn sort_command(srv: &mut Server, ctx: &mut Ctx) {
    sort_generic(srv, ctx, false);
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
pub fn sort_ro_command(srv: &mut Server, ctx: &mut Ctx) {
    sort_generic(srv, ctx, true);
}

/// The key positions of a SORT call for COMMAND GETKEYS (Redis's
/// `sortGetKeys`): the sorted key, plus the last STORE destination. The
/// scan skips LIMIT's two and GET's / BY's one argument, so a pattern that
/// happens to read "store" is not taken for the option.
pub fn sort_get_keys(argv: &[Vec<u8>]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if arg_eq(a, "limit") {
            i += 2;
        } else if arg_eq(a, "get") || arg_eq(a, "by") {
            i += 1;
        } else if arg_eq(a, "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// Splits a GET/BY pattern around its first `*` (Redis's
/// `lookupKeyByPattern`): the key to read with `subst` in place of the
/// star, and the hash field when the pattern ends in `->field`. None when
/// the pattern has no star (a fixed key makes no sense per element).
fn substitute(pattern: &[u8], subst: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let star = pattern.iter().position(|&b| b == b'*')?;
    let rest = &pattern[star + 1..];
    let arrow = rest.windows(2).position(|w| w == b"->");
    let (postfix, field) = match arrow {
        Some(f) if f + 2 < rest.len() => (&rest[..f], Some(rest[f + 2..].to_vec())),
        _ => (rest, None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    Some((key, field))
}

/// Resolves a GET/BY pattern for one element: `#` is the element; otherwise
/// the string at the substituted key, or the hash field. Reads count as
/// keyspace hits/misses, as Redis's `lookupKeyRead` does.
fn lookup_by_pattern(srv: &mut Server, db: usize, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(subst.to_vec());
    }
    let (key, field) = substitute(pattern, subst)?;
    let o = srv.lookup_read(db, &key)?;
    match (&o.value, field) {
        (Value::Hash(h), Some(f)) => h.get(&f).map(|e| e.to_vec()),
        (Value::Str(s), None) => Some(s.to_bytes().into_owned()),
        _ => None,
    }
}

/// A numeric weight as Redis reads it: C `strtod` over the C string (up to
/// the first NUL), which must consume it all; NaN and ERANGE are failures.
/// The empty string converts nothing and is 0.
fn parse_weight(s: &[u8]) -> Option<f64> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(end) => &s[..end],
        None => s,
    };
    if s.is_empty() {
        return Some(0.0);
    }
    let ws = s
        .iter()
        .take_while(|b| b" \t\n\x0b\x0c\r".contains(b))
        .count();
    numbers::parse_f64(&s[ws..])
}

/// `strcoll` in the C locale: bytes up to the first NUL.
fn c_str(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(end) => &s[..end],
        None => s,
    }
}

/// Redis's `sortCompare`.
fn sort_compare(a: &SortItem, b: &SortItem, m: SortMode) -> Ordering {
    let cmp = if !m.alpha {
        if a.score > b.score {
            Ordering::Greater
        } else if a.score < b.score {
            Ordering::Less
        } else {
            a.obj.cmp(&b.obj)
        }
    } else if m.by_pattern {
        match (&a.cmp, &b.cmp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) if m.store => x.cmp(y),
            (Some(x), Some(y)) => c_str(x).cmp(c_str(y)),
        }
    } else if m.store {
        a.obj.cmp(&b.obj)
    } else {
        c_str(&a.obj).cmp(c_str(&b.obj))
    };
    if m.desc {
        cmp.reverse()
    } else {
        cmp
    }
}

/// Redis's `sortCommandGeneric`; see the module essay.
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess` for the caller: some
/// selector allows this SORT and may read any key.
fn full_key_access(srv: &Server, ctx: &Ctx) -> bool {
    crate::commands::acl_cmd::user_of(srv, ctx.cid).unrestricted_keys_for(
        &srv.commands,
        ctx.cmd,
        &ctx.argv,
        crate::commands::key_spec::ACCESS,
    )
}

fn sort_generic(srv: &mut Server, ctx: &mut Ctx, readonly: bool) {
    let db = ctx.db;
    let mut desc = false;
    let mut alpha = false;
    let mut dontsort = false;
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut sortby: Option<Vec<u8>> = None;
    let mut storekey: Option<Vec<u8>> = None;
    let mut gets: Vec<Vec<u8>> = Vec::new();

    let argc = ctx.argc();
    let mut j = 2;
    while j < argc {
        let left = argc - j - 1;
        let a = &ctx.argv[j];
        if arg_eq(a, "asc") {
            desc = false;
        } else if arg_eq(a, "desc") {
            desc = true;
        } else if arg_eq(a, "alpha") {
            alpha = true;
        } else if arg_eq(a, "limit") && left >= 2 {
            match (
                numbers::parse_i64(&ctx.argv[j + 1]),
                numbers::parse_i64(&ctx.argv[j + 2]),
            ) {
                (Some(s), Some(c)) => {
                    limit_start = s;
                    limit_count = c;
                }
                _ => return ctx.out.error(NOT_INT_ERR),
            }
            j += 2;
        } else if !readonly && arg_eq(a, "store") && left >= 1 {
            storekey = Some(ctx.argv[j + 1].clone());
            j += 1;
        } else if arg_eq(a, "by") && left >= 1 {
            let p = ctx.argv[j + 1].clone();
            dontsort = !p.contains(&b'*');
            // A real BY pattern reads arbitrary keys: only for a user who
            // may read every key with this command.
            if !dontsort && !full_key_access(srv, ctx) {
                return ctx
                    .out
                    .error("ERR BY option of SORT denied due to insufficient ACL permissions.");
            }
            sortby = Some(p);
            j += 1;
        } else if arg_eq(a, "get") && left >= 1 {
            if !full_key_access(srv, ctx) {
                return ctx
                    .out
                    .error("ERR GET option of SORT denied due to insufficient ACL permissions.");
            }
            gets.push(ctx.argv[j + 1].clone());
            j += 1;
        } else {
            return ctx.out.error(SYNTAX_ERR);
        }
        j += 1;
    }

    // Load (step 2). Elements are copied out so the weights can be looked
    // up with the server borrowed again.
    let key = ctx.argv[1].clone();
    let mut items: Vec<Vec<u8>> = Vec::new();
    let (mut start, mut end): (i64, i64);
    {
        let from_script = srv.scripting.client == Some(ctx.cid);
        let o = srv.lookup_read(db, &key);
        let mut value = match o {
            None => None,
            Some(o) => match &mut o.value {
                Value::List(_) | Value::Set(_) | Value::ZSet(_) => Some(&mut o.value),
                _ => return ctx.out.error(WRONGTYPE),
            },
        };
        let is_set = matches!(value, Some(Value::Set(_)));
        // Scripts get a deterministic order from unordered sets (Redis sorts
        // the output when the caller is the script client).
        if dontsort && is_set && (storekey.is_some() || from_script) {
            dontsort = false;
            alpha = true;
            sortby = None;
        }
        if let Some(Value::ZSet(z)) = value.as_deref_mut() {
            // Redis converts before sorting; the new encoding is visible.
            z.convert_to_skiplist();
        }
        let vectorlen = match value.as_deref() {
            None => 0,
            Some(Value::List(l)) => l.len(),
            Some(Value::Set(s)) => s.len(),
            Some(Value::ZSet(z)) => z.len(),
            Some(_) => 0,
        } as i64;

        start = limit_start.max(0).min(vectorlen);
        let count = limit_count.max(-1).min(vectorlen);
        end = if count < 0 {
            vectorlen - 1
        } else {
            start + count - 1
        };
        if start >= vectorlen {
            start = vectorlen - 1;
            end = vectorlen - 2;
        }
        if end >= vectorlen {
            end = vectorlen - 1;
        }

        match value.as_deref() {
            None => {}
            // An empty window loads nothing (and must not fall through to
            // the full load below).
            Some(Value::List(_)) if dontsort && end < start => {}
            Some(Value::List(l)) if dontsort => {
                let n = (end - start + 1) as usize;
                let from = if desc {
                    (vectorlen - start - 1) as usize
                } else {
                    start as usize
                };
                items.extend(l.iter_from(from, desc).take(n).map(|e| e.to_vec()));
                end -= start;
                start = 0;
            }
            Some(Value::List(l)) => items.extend(l.iter().map(|e| e.to_vec())),
            Some(Value::Set(s)) => items.extend(s.iter().map(|m| m.to_bytes().into_owned())),
            Some(Value::ZSet(z)) if dontsort => {
                if end >= start {
                    z.range_by_rank(start as usize, end as usize, desc, |m, _| {
                        items.push(m.to_vec())
                    });
                }
                end -= start;
                start = 0;
            }
            Some(Value::ZSet(z)) => z.for_each(|m, _| items.push(m.to_vec())),
            Some(_) => {}
        }
    }

    // Weights (step 3) and ordering (step 4).
    let mut conversion_error = false;
    let mut vector: Vec<SortItem> = items
        .into_iter()
        .map(|obj| SortItem {
            obj,
            score: 0.0,
            cmp: None,
        })
        .collect();
    if !dontsort {
        for it in vector.iter_mut() {
            let byval = match &sortby {
                Some(p) => match lookup_by_pattern(srv, db, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.obj.clone(),
            };
            if alpha {
                if sortby.is_some() {
                    it.cmp = Some(byval);
                }
            } else {
                match parse_weight(&byval) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        if !conversion_error {
            let mode = SortMode {
                desc,
                alpha,
                by_pattern: sortby.is_some(),
                store: storekey.is_some(),
            };
            vector.sort_by(|a, b| sort_compare(a, b, mode));
        }
    }

    // Emit (step 5) or store (step 6).
    let window = (end - start + 1).max(0) as usize;
    let outputlen = if gets.is_empty() {
        window
    } else {
        gets.len() * window
    };
    if conversion_error {
        return ctx
            .out
            .error("ERR One or more scores can't be converted into double");
    }
    let range = if window == 0 {
        &vector[..0]
    } else {
        &vector[start as usize..=end as usize]
    };
    match storekey {
        None => {
            ctx.out.array_len(outputlen);
            for it in range {
                if gets.is_empty() {
                    ctx.out.bulk(&it.obj);
                }
                for g in &gets {
                    match lookup_by_pattern(srv, db, g, &it.obj) {
                        Some(v) => ctx.out.bulk(&v),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let fill = srv.config.list_max_listpack_size;
            let mut list = Quicklist::with_options(fill, srv.config.list_compress_depth);
            for it in range {
                if gets.is_empty() {
                    list.push(&it.obj, false);
                }
                for g in &gets {
                    let v = lookup_by_pattern(srv, db, g, &it.obj).unwrap_or_default();
                    list.push(&v, false);
                }
            }
            if outputlen > 0 {
                let lru = srv.new_obj_lru();
                let now = srv.cmd_time_ms;
                srv.dbs[db].expire_if_needed(&dst, now);
                let obj = RObj::new(Value::List(Box::new(list)), lru);
                let existed = srv.dbs[db].set(&dst, obj, false);
                if !existed {
                    srv.notify(ctx, NOTIFY_NEW, "new", &dst, db);
                }
                srv.signal_modified_key(db, &dst);
                srv.notify(ctx, NOTIFY_LIST, "sortstore", &dst, db);
                srv.dirty += outputlen as u64;
            } else if srv.dbs[db].delete(&dst).is_some() {
                srv.signal_modified_key(db, &dst);
                srv.notify(ctx, NOTIFY_GENERIC, "del", &dst, db);
                srv.dirty += 1;
            }
            ctx.out.int(outputlen as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(obj: &str, score: f64, cmp: Option<&str>) -> SortItem {
        SortItem {
            obj: obj.as_bytes().to_vec(),
            score,
            cmp: cmp.map(|c| c.as_bytes().to_vec()),
        }
    }

    const NUM: SortMode = SortMode {
        desc: false,
        alpha: false,
        by_pattern: false,
        store: false,
    };

    #[test]
    fn numeric_ties_break_on_bytes_and_desc_reverses_all() {
        let (a, b) = (item("b", 1.0, None), item("a", 1.0, None));
        assert_eq!(sort_compare(&a, &b, NUM), Ordering::Greater);
        let desc = SortMode { desc: true, ..NUM };
        assert_eq!(sort_compare(&a, &b, desc), Ordering::Less);
        let (c, d) = (item("z", -1.0, None), item("a", 2.0, None));
        assert_eq!(sort_compare(&c, &d, NUM), Ordering::Less);
    }

    #[test]
    fn alpha_by_pattern_missing_weights_sort_first() {
        let m = SortMode {
            alpha: true,
            by_pattern: true,
            ..NUM
        };
        let (a, b) = (item("x", 0.0, None), item("y", 0.0, Some("a")));
        assert_eq!(sort_compare(&a, &b, m), Ordering::Less);
        assert_eq!(sort_compare(&a, &a, m), Ordering::Equal);
        let (c, d) = (item("x", 0.0, Some("b")), item("y", 0.0, Some("a")));
        assert_eq!(sort_compare(&c, &d, m), Ordering::Greater);
    }

    #[test]
    fn alpha_without_store_stops_at_nul() {
        let m = SortMode { alpha: true, ..NUM };
        let (a, b) = (item("a\0z", 0.0, None), item("a\0b", 0.0, None));
        assert_eq!(sort_compare(&a, &b, m), Ordering::Equal);
        let s = SortMode { store: true, ..m };
        assert_eq!(sort_compare(&a, &b, s), Ordering::Greater);
    }

    #[test]
    fn weights_parse_like_strtod() {
        assert_eq!(parse_weight(b"1.5"), Some(1.5));
        assert_eq!(parse_weight(b"  -2"), Some(-2.0));
        assert_eq!(parse_weight(b""), Some(0.0));
        assert_eq!(parse_weight(b"3\0junk"), Some(3.0));
        assert_eq!(parse_weight(b"0x10"), Some(16.0));
        assert_eq!(parse_weight(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_weight(b"abc"), None);
        assert_eq!(parse_weight(b"1 "), None);
        assert_eq!(parse_weight(b"nan"), None);
        assert_eq!(parse_weight(b"1e400"), None);
    }

    #[test]
    fn pattern_substitution() {
        let s = |p: &str, e: &str| substitute(p.as_bytes(), e.as_bytes());
        assert_eq!(s("w_*", "3"), Some((b"w_3".to_vec(), None)));
        assert_eq!(s("pre*post", "x"), Some((b"prexpost".to_vec(), None)));
        assert_eq!(
            s("h_*->f", "1"),
            Some((b"h_1".to_vec(), Some(b"f".to_vec())))
        );
        // Nothing after the arrow: a plain key that ends in "->".
        assert_eq!(s("h_*->", "1"), Some((b"h_1->".to_vec(), None)));
        // Only the first star is substituted; an arrow before it is literal.
        assert_eq!(s("a->*b*", "1"), Some((b"a->1b*".to_vec(), None)));
        assert_eq!(s("fixed", "1"), None);
    }

    #[test]
    fn get_keys_takes_the_last_store() {
        let argv = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            sort_get_keys(&argv(&["sort", "abc", "store", "def"])),
            vec![1, 3]
        );
        assert_eq!(
            sort_get_keys(&argv(&[
                "sort", "abc", "store", "a", "store", "b", "store", "def"
            ])),
            vec![1, 7]
        );
        assert_eq!(
            sort_get_keys(&argv(&["sort", "abc", "get", "store"])),
            vec![1]
        );
        assert_eq!(
            sort_get_keys(&argv(&["sort", "abc", "limit", "0", "1"])),
            vec![1]
        );
    }
}
