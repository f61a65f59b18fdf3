//! Differential tests for Lua scripting: the same EVALs go to a real
//! `redis-server` and to ferrodis, and the replies must match byte for
//! byte — RESP2 and RESP3 conversions both ways, error texts (with their
//! `script: <sha>, on @user_script:<line>.` suffix), the sandbox, and the
//! cjson / cmsgpack / bit / struct libraries. Skipped, with a printed
//! reason, where redis-server is not installed.

mod common;

use common::{show, start_ferrodis, start_redis, Conn, Server};

struct Pair {
    redis: Conn,
    ours: Conn,
    _servers: (Server, Server),
}

impl Pair {
    fn new() -> Option<Pair> {
        let r = start_redis(&[])?;
        let o = start_ferrodis(&[]);
        Some(Pair {
            redis: Conn::connect(r.port),
            ours: Conn::connect(o.port),
            _servers: (r, o),
        })
    }

    fn same(&mut self, args: &[&str]) -> Vec<u8> {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let a = self.redis.cmd_args(&refs);
        let b = self.ours.cmd_args(&refs);
        assert_eq!(show(&b), show(&a), "reply differs for: {:?}", args);
        a
    }

    /// Switch both connections' protocol (HELLO replies carry client ids,
    /// which differ, so they are not compared).
    fn hello(&mut self, resp: &str) {
        let args: [&[u8]; 2] = [b"HELLO", resp.as_bytes()];
        self.redis.cmd_args(&args);
        self.ours.cmd_args(&args);
    }

    /// EVAL `script` with no keys and the given arguments.
    fn eval(&mut self, script: &str, args: &[&str]) -> Vec<u8> {
        let mut v = vec!["EVAL", script, "0"];
        v.extend_from_slice(args);
        self.same(&v)
    }
}

macro_rules! pair_or_skip {
    () => {
        match Pair::new() {
            Some(p) => p,
            None => return,
        }
    };
}

/// Conversions a script's return value goes through, in both protocols.
const RETURNS: &[&str] = &[
    "return 1",
    "return 3.99",
    "return -3.99",
    "return 'hello'",
    "return true",
    "return false",
    "return nil",
    "return {1, 2, 3, 'x', {4, 5}}",
    "return {1, nil, 3}",
    "return {ok='fine'}",
    "return {err='MYERR custom'}",
    "return redis.error_reply('CODE message')",
    "return redis.error_reply('no code')",
    "return redis.status_reply('STATUS')",
    "return {double=3.5}",
    "return {big_number='12345678901234567890'}",
    "return {verbatim_string={format='txt', string='abc'}}",
    "return {map={a=1}}",
    "return {set={a=true}}",
    "return {1e300}",
    "return {_G}",
    "local a = {}; a[1] = a; return #tostring(1)",
];

/// Command replies converted to Lua and back.
const CALLS: &[&str] = &[
    "return redis.call('set', 'k', 'v')",
    "return redis.call('get', 'k')",
    "return redis.call('get', 'nosuchkey')",
    "return redis.call('incr', 'n')",
    "return redis.call('hset', 'h', 'f', 'v', 'g', 'w')",
    "return redis.call('hgetall', 'h')",
    "return redis.call('smembers', 'nosuchset')",
    "return redis.call('zadd', 'z', 1.5, 'a')",
    "return redis.call('zscore', 'z', 'a')",
    "return redis.call('zrange', 'z', 0, -1, 'withscores')",
    "return redis.call('lpush', 'l', 1, 2.5, 'x')",
    "return redis.call('lrange', 'l', 0, -1)",
    "return redis.call('incr', 'k')",
    "return redis.pcall('incr', 'k')",
    "return redis.call('nosuch')",
    "return redis.pcall('nosuch')",
    "return redis.call('set', 'x')",
    "return redis.call('eval', 'return 1', 0)",
    "return redis.call()",
    "return redis.call({})",
    "local ok, e = pcall(function() redis.call('incr', 'k') end) return e",
    "return {pcall(function() error('x') end)}",
    "return redis.call('exists', 'k', 'h', 'nope')",
    "return redis.call('type', 'z')",
    "return redis.call('ping')",
    "return redis.call('echo', 12345678901234567890)",
];

const SANDBOX: &[&str] = &[
    "return a",
    "a = 1",
    "redis.call = 1",
    "cjson.encode = 1",
    "_G = {}",
    "setmetatable(_G, {})",
    "local g = getmetatable(_G); g.__index = {}",
    "print('x')",
    "loadfile('x')",
    "dofile('x')",
    "return loadstring(string.dump(function() return 1 end))()",
    "return redis.sha1hex('Pizza & Mandolino')",
    "return redis.sha1hex()",
    "return redis.setresp(4)",
    "return redis.log(redis.LOG_WARNING)",
    "return redis.log('x', 'y')",
    "return redis.set_repl(100)",
    "return redis.REDIS_VERSION",
    "return redis.breakpoint()",
    "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_ALL}",
    "return 'x",
    "error('boom')",
    "error({err='MY table'})",
    "return math.random(0)",
    "return tostring(1/3)",
    "return {unpack({1,2,3}, -2, 2147483647)}",
];

const LIBS: &[&str] = &[
    "return cjson.encode({1, 2, {a='x/y\\n'}, true, false, 0.5, cjson.null})",
    "return cjson.encode({})",
    "return cjson.encode({[1]=1, [20]=2})",
    "return cjson.encode(1/3)",
    "return cjson.encode({[false]=1})",
    "return cjson.encode(0/0)",
    "return cjson.decode('[1,2')",
    "return cjson.decode('{\"a\":}')",
    "return {pcall(cjson.decode, 'x')}",
    "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')",
    "local d = cjson.decode('{\"a\":[1,{\"b\":null}],\"c\":\"\\\\u00e9\"}') return {d.a[1], d.c}",
    "local e = cmsgpack.pack(0.1, -1099511627776, 'abc', {1, 2}, {a=1}, true, 300, -40000) local h = '' for i = 1, #e do h = h .. string.format('%02x', string.byte(e, i)) end return h",
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}, 3.5))}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 0)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 0)}",
    "return {bit.tobit(4294967297), bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(1, 3), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(1, 33), bit.bswap(0x01020304)}",
    "return {bit.tohex(65535), bit.tohex(-1, -4), bit.tohex(65535, -2147483648)}",
    "return {struct.unpack('>iHs', struct.pack('>iHs', -5, 300, 'ab'))}",
    "return {struct.size('>iH!4d'), struct.size('<bhlf')}",
    "return {struct.unpack('<I2c3', struct.pack('<I2c3', 513, 'xyz'))}",
];

#[test]
fn script_return_conversions_resp2_and_resp3() {
    let mut p = pair_or_skip!();
    for resp in ["2", "3"] {
        p.hello(resp);
        for s in RETURNS {
            p.eval(s, &[]);
            // The same value seen by a RESP3 script.
            let s3 = format!("redis.setresp(3); {}", s);
            p.eval(&s3, &[]);
        }
    }
}

#[test]
fn command_replies_through_lua() {
    let mut p = pair_or_skip!();
    for resp in ["2", "3"] {
        p.same(&["FLUSHALL"]);
        p.hello(resp);
        for s in CALLS {
            p.eval(s, &[]);
        }
        p.same(&["FLUSHALL"]);
        for s in CALLS {
            let s3 = format!("redis.setresp(3); {}", s);
            p.eval(&s3, &[]);
        }
    }
}

#[test]
fn sandbox_and_errors() {
    let mut p = pair_or_skip!();
    for s in SANDBOX {
        p.eval(s, &[]);
    }
    p.same(&["EVAL", "return 1", "-1"]);
    p.same(&["EVAL", "return 1", "2", "a"]);
    p.same(&["EVAL", "return 1", "x"]);
    p.same(&["EVALSHA", "abc", "0"]);
    p.same(&["EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "0"]);
    p.same(&["SCRIPT", "LOAD", "return 'loaded'"]);
    p.same(&["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"]);
    p.same(&[
        "SCRIPT",
        "EXISTS",
        "b534286061d4b9e4026607613b95c06c06015ae8",
        "nope",
    ]);
    p.same(&[
        "EVAL",
        "return {KEYS[1], ARGV[1], #KEYS, #ARGV}",
        "1",
        "k",
        "a",
        "b",
    ]);
    p.same(&[
        "EVAL",
        "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')",
        "0",
    ]);
    p.same(&["EVAL", "#!lua\nreturn redis.call('set', 'a', 'b')", "0"]);
    p.same(&["EVAL", "#!lua flags=bad\nreturn 1", "0"]);
    p.same(&["EVAL", "#!lua foo=bar\nreturn 1", "0"]);
    p.same(&["EVAL", "#!python\nreturn 1", "0"]);
    p.same(&["EVAL", "#!lua", "0"]);
    p.same(&["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"]);
    p.same(&["EVAL_RO", "#!lua\nreturn 1", "0"]);
    p.same(&["EVAL_RO", "return redis.call('get', 'a')", "0"]);
    p.same(&["SCRIPT", "FLUSH", "bad"]);
    p.same(&["SCRIPT", "FLUSH"]);
    p.same(&[
        "SCRIPT",
        "EXISTS",
        "b534286061d4b9e4026607613b95c06c06015ae8",
    ]);
    p.same(&["SCRIPT", "KILL"]);
    p.same(&["SCRIPT", "HELP"]);
}

#[test]
fn libraries() {
    let mut p = pair_or_skip!();
    for s in LIBS {
        p.eval(s, &[]);
    }
}

#[test]
fn select_inside_a_script_is_local() {
    let mut p = pair_or_skip!();
    p.eval(
        "redis.call('select', 9); return redis.call('set', 'sel', 'x')",
        &[],
    );
    p.same(&["EXISTS", "sel"]);
    p.same(&["SELECT", "9"]);
    p.same(&["GET", "sel"]);
    p.same(&["SELECT", "0"]);
}

#[test]
fn functions_load_and_call() {
    let mut p = pair_or_skip!();
    p.same(&["FUNCTION", "FLUSH"]);
    let lib = "#!lua name=mylib\nredis.register_function('f1', function(KEYS, ARGV) return {KEYS[1], ARGV[1], redis.call('incr', KEYS[1])} end)\nredis.register_function{function_name='ro', callback=function() return redis.call('set', 'x', 'y') end, flags={'no-writes'}}";
    p.same(&["FUNCTION", "LOAD", lib]);
    p.same(&["FUNCTION", "LOAD", lib]);
    p.same(&["FUNCTION", "LOAD", "REPLACE", lib]);
    p.same(&["FCALL", "f1", "1", "k", "a"]);
    p.same(&["FCALL", "f1", "2", "k"]);
    p.same(&["FCALL", "f1", "-1"]);
    p.same(&["FCALL", "f1", "x"]);
    p.same(&["FCALL", "nosuch", "0"]);
    p.same(&["FCALL", "ro", "0"]);
    p.same(&["FCALL_RO", "ro", "0"]);
    p.same(&["FCALL_RO", "f1", "1", "k"]);
    p.same(&["FUNCTION", "LOAD", "return 1"]);
    p.same(&["FUNCTION", "LOAD", "#!lua\nreturn 1"]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"]);
    p.same(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=x\nredis.register_function('bad name', function() end)",
    ]);
    p.same(&["FUNCTION", "LOAD", "#!js name=x\n"]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=x foo=bar\n"]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=x\nreturn 'x"]);
    // Functions of one library are listed in hash order by Redis: compare
    // a one-function library.
    p.same(&["FUNCTION", "LOAD", "#!lua name=single\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}, description='d'}"]);
    p.same(&["FUNCTION", "LIST", "LIBRARYNAME", "sing*", "WITHCODE"]);
    p.same(&["FUNCTION", "DELETE", "mylib"]);
    p.same(&["FUNCTION", "DELETE", "mylib"]);
    p.same(&["FUNCTION", "KILL"]);
}
