//! Differential tests for the geo commands: the same commands go to a real
//! `redis-server` and to ferrodis, and every reply is compared byte for
//! byte, as are the keyspace notifications both servers publish. A geo set
//! is a sorted set, so `ZRANGE ... WITHSCORES` after GEOADD checks the
//! 52-bit geohash scores themselves; GEOPOS, WITHCOORD and WITHDIST check
//! decoding and the haversine distance to the last printed digit.
//!
//! The randomized test (fixed seed) adds clustered random points, in both
//! encodings, and runs circle and box searches around random centres with
//! every reply option, COUNT with and without ANY, and the STORE forms.
//!
//! Skipped, with a printed reason, where redis-server is not installed.

mod common;

use common::{parse_line, show, start_ferrodis, start_redis, Conn, Rng, Server};

struct Pair {
    redis: Conn,
    ours: Conn,
    /// Subscribers to every keyspace/keyevent channel on each server.
    sub_redis: Conn,
    sub_ours: Conn,
    _servers: (Server, Server),
}

impl Pair {
    fn new() -> Option<Pair> {
        let r = match start_redis(&[]) {
            Some(r) => r,
            None => {
                eprintln!("skipping: redis-server not installed");
                return None;
            }
        };
        let o = start_ferrodis(&[]);
        let mut p = Pair {
            redis: Conn::connect(r.port),
            ours: Conn::connect(o.port),
            sub_redis: Conn::connect(r.port),
            sub_ours: Conn::connect(o.port),
            _servers: (r, o),
        };
        p.same("CONFIG SET notify-keyspace-events KEA");
        for s in [&mut p.sub_redis, &mut p.sub_ours] {
            s.cmd("PSUBSCRIBE __key*__:*");
        }
        Some(p)
    }

    fn same(&mut self, line: &str) -> Vec<u8> {
        let args = parse_line(line);
        let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
        let a = self.redis.cmd_args(&refs);
        let b = self.ours.cmd_args(&refs);
        assert_eq!(show(&b), show(&a), "reply differs for: {line}");
        a
    }

    /// Everything published since the last call, on both servers, equal.
    fn same_events(&mut self) -> usize {
        let mut out: Vec<Vec<String>> = Vec::new();
        for s in [&mut self.sub_redis, &mut self.sub_ours] {
            s.send(&[b"PING"]);
            let mut msgs = Vec::new();
            loop {
                let m = show(&s.read_reply());
                if m.contains("pong") {
                    break;
                }
                msgs.push(m);
            }
            out.push(msgs);
        }
        assert_eq!(out[1], out[0], "keyspace notifications differ");
        out[0].len()
    }
}

const FIXED: &str = r"
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
ZRANGE Sicily 0 -1 WITHSCORES
GEOADD Sicily 13.361389 38.115556 Palermo
GEOADD Sicily CH 13.361390 38.115556 Palermo
GEOADD Sicily NX 1 1 Palermo 2 2 new1
GEOADD Sicily XX 1 1 Palermo 2 2 new2
GEOADD Sicily CH XX 13.361389 38.115556 Palermo
GEOADD Sicily CH NX XX 1 1 a
GEOADD Sicily XX NX 1 1 a
GEOADD Sicily foo 1 1 a
GEOADD Sicily 1 1
GEOADD Sicily 1 1 a 2
GEOADD Sicily 200 100 a
GEOADD Sicily 1 1 a 1 100 b
GEOADD Sicily 180.0000001 0 a
GEOADD Sicily -180 -85.05112879 a
GEOADD Sicily inf 0 a
GEOADD Sicily 0 -inf a
GEOADD Sicily nan 0 a
GEOADD Sicily abc 0 a
GEOADD Sicily 0 1e400 a
GEOADD Sicily CH NX CH
GEOADD Sicily 180 85.05112878 edge -180 -85.05112878 edge2 0 0 zero 0x10 0x1p3 hexa -0 -0 negzero
GEOADD Sicily 12 34 123 -12.5 -34.25 -7
ZRANGE Sicily 0 -1 WITHSCORES
GEOPOS Sicily Palermo Catania nosuch edge edge2 hexa zero 123 -7
GEOPOS nokey a b
GEOPOS Sicily
GEOHASH Sicily Palermo Catania nosuch edge edge2 zero hexa 123
GEOHASH nokey a
GEOHASH Sicily
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania KM
GEODIST Sicily Palermo Catania mi
GEODIST Sicily Palermo Catania ft
GEODIST Sicily Palermo Catania M
GEODIST Sicily Palermo Catania furlong
GEODIST Sicily edge edge2 km
GEODIST Sicily Palermo Palermo
GEODIST Sicily zero negzero
GEODIST Sicily Palermo nosuch
GEODIST Sicily nosuch Palermo
GEODIST nokey a b
GEODIST nokey a b badunit
GEODIST Sicily Palermo Catania km extra
GEODIST Sicily Palermo
ZADD weird -5 neg 1e30 huge inf inf -inf ninf 9007199254740993 big 0.5 half
GEOPOS weird neg huge inf ninf big half
GEOHASH weird neg huge inf ninf big half
GEODIST weird neg huge
GEORADIUS weird 0 0 20000 km WITHHASH
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD WITHDIST WITHHASH ASC
GEORADIUS Sicily 15 37 200 km withhash withcoord desc
GEORADIUS Sicily 15 37 200 km DESC COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS Sicily 15 37 200 km COUNT 2 ANY DESC
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km ANY COUNT 5
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km COUNT -1
GEORADIUS Sicily 15 37 200 km COUNT abc
GEORADIUS Sicily 15 37 200 km COUNT
GEORADIUS Sicily 15 37 200 km COUNT 99999999999999999999
GEORADIUS Sicily 15 37 -1 km
GEORADIUS Sicily 15 37 abc km
GEORADIUS Sicily 15 37 200 parsec
GEORADIUS Sicily 15 100 200 km
GEORADIUS Sicily x 37 200 km
GEORADIUS Sicily 15 37 200 km FOO
GEORADIUS Sicily 15 37 200 km STORE
GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
GEORADIUS Sicily 15 37 200 km WITHHASH STOREDIST dst
GEORADIUS Sicily 15 37 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 mi STOREDIST dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst STORE dst2
EXISTS dst2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km COUNT 1 DESC STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 100 -60 1 km STORE dst
EXISTS dst
GEORADIUS Sicily 100 -60 1 km STORE dst
GEORADIUS Sicily 100 -60 1 km
GEORADIUS Sicily 15 37 0 km
GEORADIUS Sicily 13.361389 38.115556 0 m WITHDIST
GEORADIUS Sicily 0 0 50000 km WITHDIST
GEORADIUS Sicily 0 0 20000 km ASC
GEORADIUS Sicily 0 0 1e300 km ASC
GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst
GEORADIUS_RO Sicily 15 37 200 km WITHDIST
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHCOORD COUNT 1
GEORADIUSBYMEMBER Sicily nosuch 200 km
GEORADIUSBYMEMBER Sicily nosuch abc km
GEORADIUSBYMEMBER Sicily Palermo abc km
GEORADIUSBYMEMBER Sicily Palermo 200 lightyears
GEORADIUSBYMEMBER nokey nosuch 200 km
GEORADIUSBYMEMBER nokey nosuch abc km
GEORADIUSBYMEMBER nokey nosuch 200 km STORE dst
GEORADIUSBYMEMBER nokey nosuch 200 km FOO
GEORADIUSBYMEMBER nokey nosuch 200 km ANY
GEORADIUSBYMEMBER Sicily Palermo 200 km STORE dst
GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHCOORD WITHHASH
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE dst
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHDIST WITHCOORD WITHHASH
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHCOORD WITHHASH
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 40 km ASC
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 40 400 km ASC
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 m WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 200 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 200 km
GEOSEARCH Sicily BYRADIUS 200 km ASC ASC
geosearch Sicily BYRADIUS 200 km asc asc
GEOSEARCH Sicily FROMLONLAT 15 37 ASC DESC
GeoSearch Sicily FROMLONLAT 15 37 ASC DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x y km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yd
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200
GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 91 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE dst
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 200 km
GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS abc km
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS abc km
GEOSEARCH nokey FROMMEMBER nosuch BYRADIUS 200 km
GEOSEARCH nokey FROMMEMBER nosuch BYRADIUS abc km
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 3
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1 DESC
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST ASC
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST x
GEOSEARCHSTORE dst Sicily FROMLONLAT 100 -60 BYRADIUS 1 km
EXISTS dst
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 200 km
EXISTS dst
GEOSEARCHSTORE dst nokey FROMMEMBER x BYBOX 1 1 km
GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYBOX 1 1 km
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY
GEOSEARCHSTORE Sicily Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE Sicily 0 -1 WITHSCORES
SET str x
GEOADD str 1 1 a
GEOPOS str a
GEOHASH str a
GEODIST str a b
GEODIST str a b km
GEODIST str a b parsec
GEORADIUS str 1 1 1 km
GEORADIUS str 1 1 x km
GEORADIUSBYMEMBER str a 1 km
GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km
GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km
GEOADD src 13.361389 38.115556 Palermo
GEOSEARCHSTORE str src FROMLONLAT 13 38 BYRADIUS 200 km
TYPE str
SET str x
GEORADIUS src 13 38 200 km STORE str
TYPE str
GEOSEARCHSTORE src2 src FROMLONLAT 13 38 BYRADIUS 200 km
GEORADIUS src 13 38 200 km STORE src2
COMMAND GETKEYS GEORADIUS src 1 1 1 km STORE a STOREDIST b
COMMAND GETKEYS GEORADIUS src 1 1 1 km
COMMAND GETKEYS GEORADIUS src 1 1 1 km STOREDIST b STORE a STORE c
COMMAND GETKEYS GEORADIUS src 1 1 1 km WITHDIST STORE
COMMAND GETKEYS GEORADIUSBYMEMBER src STORE 1 km STORE
COMMAND GETKEYS GEORADIUSBYMEMBER src m 1 km STORE a
COMMAND GETKEYS GEOSEARCHSTORE a b FROMLONLAT 1 1 BYRADIUS 1 km
COMMAND GETKEYS GEOADD k 1 1 m
";

#[test]
fn fixed_script() {
    let Some(mut p) = Pair::new() else { return };
    for line in FIXED.lines().map(str::trim).filter(|l| !l.is_empty()) {
        p.same(line);
    }
    assert!(p.same_events() > 20);
}

/// Same scripts with large sets (the skiplist encoding) and in RESP3
/// (coordinates are `,` doubles there, distances stay bulk strings).
#[test]
fn skiplist_and_resp3() {
    let Some(mut p) = Pair::new() else { return };
    p.same("CONFIG SET zset-max-listpack-entries 2");
    for line in [
        "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2 13.583333 37.316667 Agrigento",
        "OBJECT ENCODING g",
        "ZRANGE g 0 -1 WITHSCORES",
        "GEORADIUS g 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC",
        "GEOSEARCH g FROMMEMBER Palermo BYBOX 300 300 km DESC WITHDIST",
        "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
        "OBJECT ENCODING d",
        "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2",
        "OBJECT ENCODING d",
        "CONFIG SET zset-max-listpack-entries 128",
        "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
        "OBJECT ENCODING d",
        "ZRANGE d 0 -1 WITHSCORES",
        "HELLO 3",
        "GEOPOS g Palermo nosuch Catania",
        "GEOHASH g Palermo nosuch",
        "GEODIST g Palermo Catania",
        "GEODIST g Palermo nosuch",
        "GEODIST nokey Palermo nosuch",
        "GEORADIUS g 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC",
        "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD",
        "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 1 km WITHCOORD",
        "ZRANGE g 0 -1 WITHSCORES",
    ] {
        if line.starts_with("HELLO") {
            // Server versions and ids differ; only the switch matters.
            let args = parse_line(line);
            let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
            p.redis.cmd_args(&refs);
            p.ours.cmd_args(&refs);
            continue;
        }
        p.same(line);
    }
    p.same_events();
}

#[test]
fn randomized_points_and_searches() {
    let Some(mut p) = Pair::new() else { return };
    let mut rng = Rng::new(0x6e0_5eed_2026);
    let units = ["m", "km", "ft", "mi"];
    let mut nonempty = 0;
    for round in 0..12 {
        // Alternate small (listpack) and large (skiplist) sets; clusters
        // around a random centre, some near the poles and the antimeridian.
        p.same("DEL pts st");
        let (clon, clat) = match round % 4 {
            0 => (rng.float(-180.0, 180.0), rng.float(-60.0, 60.0)),
            1 => (rng.float(-180.0, 180.0), rng.float(66.0, 85.0)),
            2 => (179.0 + rng.float(-2.0, 1.0), rng.float(-70.0, 70.0)),
            _ => (rng.float(-180.0, 180.0), rng.float(-85.0, -60.0)),
        };
        let spread = [0.01, 0.5, 5.0, 40.0][rng.below(4) as usize];
        let n = if round % 2 == 0 { 60 } else { 400 };
        let mut cmd = String::from("GEOADD pts");
        for i in 0..n {
            let mut lon = clon + rng.float(-spread, spread);
            if lon > 180.0 {
                lon -= 360.0;
            }
            if lon < -180.0 {
                lon += 360.0;
            }
            let lat = (clat + rng.float(-spread, spread)).clamp(-85.05, 85.05);
            cmd.push_str(&format!(" {lon:.15} {lat:.15} p{i}"));
        }
        p.same(&cmd);
        p.same("ZRANGE pts 0 -1 WITHSCORES");
        p.same("OBJECT ENCODING pts");
        for _ in 0..40 {
            let slon = (clon + rng.float(-spread, spread)).clamp(-180.0, 180.0);
            let slat = (clat + rng.float(-spread, spread)).clamp(-85.0, 85.0);
            let unit = units[rng.below(4) as usize];
            let scale = match unit {
                "m" => 1.0,
                "km" => 1000.0,
                "ft" => 0.3048,
                _ => 1609.34,
            };
            let reach_m = spread * 111_000.0 * [0.05, 0.3, 1.0, 3.0][rng.below(4) as usize];
            let r = reach_m / scale;
            let w = r * rng.float(0.2, 2.0);
            let h = r * rng.float(0.2, 2.0);
            let order = ["ASC", "DESC", ""][rng.below(3) as usize];
            let with = [
                "WITHDIST",
                "WITHHASH",
                "WITHCOORD",
                "WITHDIST WITHHASH WITHCOORD",
            ][rng.below(4) as usize];
            let count = match rng.below(4) {
                0 => format!("COUNT {}", 1 + rng.below(20)),
                1 => format!("COUNT {} ANY", 1 + rng.below(20)),
                _ => String::new(),
            };
            let from = if rng.below(3) == 0 {
                format!("FROMMEMBER p{}", rng.below(n as u64))
            } else {
                format!("FROMLONLAT {slon} {slat}")
            };
            let by = if rng.below(2) == 0 {
                format!("BYRADIUS {r} {unit}")
            } else {
                format!("BYBOX {w} {h} {unit}")
            };
            // Without an order the reply follows the cell walk, which is
            // part of the contract (ANY returns the first points found).
            p.same(&format!("GEOSEARCH pts {from} {by} {order} {with} {count}"));
            let all = p.same(&format!(
                "GEOSEARCH pts {from} {by} ASC WITHDIST WITHHASH WITHCOORD"
            ));
            if all.len() > 4 {
                nonempty += 1;
            }
            p.same(&format!(
                "GEORADIUS pts {slon} {slat} {r} {unit} {order} {with} {count}"
            ));
            p.same(&format!(
                "GEORADIUSBYMEMBER_RO pts p{} {r} {unit} WITHDIST {order} {count}",
                rng.below(n as u64)
            ));
            let dist = if rng.below(2) == 0 { "STOREDIST" } else { "" };
            p.same(&format!(
                "GEOSEARCHSTORE st pts {from} {by} {order} {count} {dist}"
            ));
            p.same("ZRANGE st 0 -1 WITHSCORES");
            p.same(&format!(
                "GEORADIUS pts {slon} {slat} {r} {unit} {count} STOREDIST st"
            ));
            p.same("ZRANGE st 0 -1 WITHSCORES");
            let (a, b) = (rng.below(n as u64), rng.below(n as u64));
            p.same(&format!("GEODIST pts p{a} p{b} {unit}"));
            p.same(&format!("GEOPOS pts p{a} p{b} nosuch"));
            p.same(&format!("GEOHASH pts p{a} p{b} nosuch"));
        }
        p.same_events();
    }
    // Most searches must find something, or the test proves little.
    assert!(
        nonempty > 300,
        "only {nonempty} of 480 searches found points"
    );
}

/// Many points at equal distances: COUNT cuts them with Redis's partial
/// quicksort, whose (unstable) choice and order must be reproduced.
#[test]
fn ties_under_count() {
    let Some(mut p) = Pair::new() else { return };
    let mut cmd = String::from("GEOADD ties");
    for i in 0..90 {
        // Three distinct positions, thirty members each.
        let lon = [10.0, 10.01, 9.99][i % 3];
        cmd.push_str(&format!(" {lon} 45 m{i}"));
    }
    p.same(&cmd);
    for count in [1, 2, 5, 7, 8, 29, 30, 31, 41, 59, 60, 61, 89, 90, 100] {
        for order in ["", "ASC", "DESC"] {
            p.same(&format!(
                "GEOSEARCH ties FROMLONLAT 10.001 45 BYRADIUS 10 km {order} COUNT {count} WITHDIST"
            ));
            p.same(&format!("GEORADIUS ties 10 45 10 km {order} COUNT {count}"));
        }
        p.same(&format!(
            "GEOSEARCHSTORE d ties FROMLONLAT 10 45 BYBOX 5 5 km COUNT {count} STOREDIST"
        ));
        p.same("ZRANGE d 0 -1 WITHSCORES");
    }
    p.same("CONFIG SET zset-max-listpack-entries 16");
    p.same("GEOSEARCHSTORE big ties FROMLONLAT 10 45 BYRADIUS 10 km");
    p.same("OBJECT ENCODING big");
    p.same("GEORADIUS big 10 45 10 km COUNT 17 DESC WITHDIST");
    p.same("GEORADIUS big 10 45 10 km COUNT 17 ASC WITHHASH");
    p.same("GEORADIUS big 10 45 10 km WITHDIST");
}
