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
        Pair::with_args(&[])
    }

    /// Both servers started with the same extra arguments.
    fn with_args(extra: &[&str]) -> Option<Pair> {
        let r = start_redis(extra)?;
        let o = start_ferrodis(extra);
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

/// The payload of a bulk reply (`$<n>\r\n<bytes>\r\n`).
fn bulk_of(reply: &[u8]) -> Vec<u8> {
    assert_eq!(reply.first(), Some(&b'$'), "not a bulk: {}", show(reply));
    let nl = reply.iter().position(|&b| b == b'\n').expect("header");
    let n: usize = show(&reply[1..nl - 1]).parse().expect("length");
    reply[nl + 1..nl + 1 + n].to_vec()
}

/// A FUNCTION DUMP-style payload around hand-made records: version 10 and
/// the CRC-64 of everything before it.
fn payload_of(records: &[u8]) -> Vec<u8> {
    let mut p = records.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = ferrodis::util::crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// One FUNCTION2 record with an uncompressed code string (14-bit length).
fn function2_record(code: &str) -> Vec<u8> {
    assert!(code.len() < 1 << 14);
    let mut r = vec![245u8, 0x40 | (code.len() >> 8) as u8, code.len() as u8];
    r.extend_from_slice(code.as_bytes());
    r
}

#[test]
fn function_dump_and_restore() {
    let mut p = pair_or_skip!();
    p.same(&["FUNCTION", "FLUSH"]);
    // No library: the payload is only the footer.
    let empty = bulk_of(&p.same(&["FUNCTION", "DUMP"]));
    assert_eq!(empty.len(), 10);
    // One library: the same bytes, with and without LZF compression of the
    // code (it is longer than 20 bytes).
    let lib = "#!lua name=mylib\nredis.register_function('f1', function(KEYS, ARGV) return 'hello hello hello hello hello' end)\nredis.register_function{function_name='f2', callback=function() return 2 end, flags={'no-writes'}, description='two'}";
    p.same(&["FUNCTION", "LOAD", lib]);
    let one = bulk_of(&p.same(&["FUNCTION", "DUMP"]));
    p.same(&["CONFIG", "SET", "rdbcompression", "no"]);
    let plain = bulk_of(&p.same(&["FUNCTION", "DUMP"]));
    assert_ne!(one, plain);
    p.same(&["CONFIG", "SET", "rdbcompression", "yes"]);

    let restore = |p: &mut Pair, payload: &[u8], policy: Option<&str>| {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", payload];
        if let Some(x) = policy {
            args.push(x.as_bytes());
        }
        let a = p.redis.cmd_args(&args);
        let b = p.ours.cmd_args(&args);
        assert_eq!(show(&b), show(&a), "FUNCTION RESTORE {:?}", policy);
        a
    };
    // Policies and their errors.
    restore(&mut p, &one, None);
    restore(&mut p, &one, Some("APPEND"));
    restore(&mut p, &plain, Some("REPLACE"));
    restore(&mut p, &one, Some("flush"));
    restore(&mut p, &one, Some("bogus"));
    restore(&mut p, b"bad_payload", None);
    restore(&mut p, &empty, None);
    restore(&mut p, &empty, Some("FLUSH"));
    p.same(&["FUNCTION", "LIST"]);
    restore(&mut p, &one, None);
    p.same(&["FCALL", "f1", "0"]);
    p.same(&["FCALL", "F2", "0"]);
    p.same(&["FUNCTION", "RESTORE", "a", "b", "c"]);
    p.same(&["FUNCTION", "RESTORE"]);
    p.same(&["FUNCTION", "DUMP", "extra"]);
    // A payload whose CRC is broken.
    let mut bad = one.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    restore(&mut p, &bad, None);
    // A key's DUMP payload is not a function payload.
    p.same(&["SET", "k", "v"]);
    let key_payload = bulk_of(&p.same(&["DUMP", "k"]));
    restore(&mut p, &key_payload, None);
    // Name clashes: another library with a function of the same name
    // (APPEND and REPLACE both fail), the same library twice or the same
    // function twice inside one payload, code that does not compile or
    // registers nothing.
    p.same(&["FUNCTION", "FLUSH"]);
    p.same(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=other\nredis.register_function('f1', function() return 1 end)",
    ]);
    restore(&mut p, &one, None);
    restore(&mut p, &one, Some("REPLACE"));
    p.same(&["FUNCTION", "LOAD", "REPLACE", lib]);
    restore(&mut p, &one, None);
    let twice_lib = [
        function2_record("#!lua name=a\nredis.register_function('x', 1)"),
        function2_record("#!lua name=a\nredis.register_function('y', 1)"),
    ]
    .concat();
    let ok_a = "#!lua name=a\nredis.register_function('fa',function() return 1 end)";
    let ok_b = "#!lua name=b\nredis.register_function('fa',function() return 2 end)";
    for records in [
        [function2_record(ok_a), function2_record(ok_a)].concat(),
        [function2_record(ok_a), function2_record(ok_b)].concat(),
        function2_record("#!lua name=a\nreturn 'x"),
        function2_record("#!lua name=a\nreturn 1"),
        function2_record("no metadata"),
        twice_lib,
        vec![245u8, 63, b'x'],
        vec![245u8],
    ] {
        restore(&mut p, &payload_of(&records), Some("FLUSH"));
        p.same(&["FUNCTION", "LIST", "LIBRARYNAME", "mylib"]);
    }
    // The pre-GA FUNCTION record (name, engine, description flag, code).
    let mut old = vec![246u8, 3];
    old.extend_from_slice(b"old");
    old.extend_from_slice(&[3]);
    old.extend_from_slice(b"LUA");
    old.push(0);
    let body = "redis.register_function('fo', function() return 'old' end)";
    old.push(body.len() as u8);
    old.extend_from_slice(body.as_bytes());
    restore(&mut p, &payload_of(&old), None);
    p.same(&["FCALL", "fo", "0"]);
    p.same(&["FUNCTION", "LIST", "LIBRARYNAME", "old", "WITHCODE"]);

    // Payloads cross over: several libraries dumped by one server restore
    // into the other (their order in a payload is Redis's dict order, so
    // only one-library payloads are compared byte for byte).
    p.same(&["FUNCTION", "FLUSH"]);
    for i in 0..5 {
        let code = format!(
            "#!lua name=lib{i}\nredis.register_function('fn{i}', function(KEYS, ARGV) return 'from library number {i}' end)"
        );
        p.same(&["FUNCTION", "LOAD", &code]);
    }
    let from_redis = bulk_of(&p.redis.cmd_args(&[b"FUNCTION", b"DUMP"]));
    let from_ours = bulk_of(&p.ours.cmd_args(&[b"FUNCTION", b"DUMP"]));
    assert_eq!(from_redis.len(), from_ours.len());
    let a = p
        .redis
        .cmd_args(&[b"FUNCTION", b"RESTORE", &from_ours, b"FLUSH"]);
    let b = p
        .ours
        .cmd_args(&[b"FUNCTION", b"RESTORE", &from_redis, b"FLUSH"]);
    assert_eq!(show(&a), "+OK\r\n");
    assert_eq!(show(&b), "+OK\r\n");
    for i in 0..5 {
        p.same(&["FCALL", &format!("fn{i}"), "0"]);
        p.same(&[
            "FUNCTION",
            "LIST",
            "LIBRARYNAME",
            &format!("lib{i}"),
            "WITHCODE",
        ]);
    }
    p.same(&["FUNCTION", "STATS"]);
}

/// Lua bytecode (a chunk starting with ESC, as `string.dump` makes) on
/// every path into `lua_load`: Redis's interpreter only ever parses text,
/// so each one is a syntax error near 'char(27)' (or a `nil, message` from
/// `load`/`loadstring`).
const BYTECODE: &[&str] = &[
    "return loadstring(string.dump(function() return 1 end))()",
    "return {loadstring(string.dump(function() return 1 end))}",
    "local f, e = loadstring(string.dump(function() return 1 end)) return e",
    "local f, e = loadstring(string.dump(function() return 1 end), 'name') return e",
    "local f, e = loadstring('\\27') return e",
    "local f, e = loadstring(' \\27') return e",
    // A reader whose first piece is the ESC byte alone, then the rest.
    "local s = string.dump(function() return 1 end) local i = 0 local f, e = load(function() i = i + 1 if i == 1 then return s:sub(1, 1) elseif i == 2 then return s:sub(2) end end) return {type(f), e}",
    // The whole dump in one piece, and the dump split into bytes.
    "local s = string.dump(function() return 1 end) local f, e = load(function() local r = s s = nil return r end) return e",
    "local s = string.dump(function() return 1 end) local i = 0 local f, e = load(function() i = i + 1 if i <= #s then return s:sub(i, i) end end, 'nm') return e",
    // Only the first piece decides: an empty first piece ends the chunk,
    // an ESC later in the source is an ordinary (unexpected) character.
    "local i = 0 local f, e = load(function() i = i + 1 if i == 1 then return '' elseif i == 2 then return '\\27' end end) return {type(f), e}",
    "local i = 0 local f, e = load(function() i = i + 1 if i == 1 then return 'return ' elseif i == 2 then return '\\27' end end) return {type(f), e}",
    // The loaders' own checks and messages.
    "local f, e = load(function() return {} end) return e",
    "local f, e = load(function() error('boom') end) return e",
    "return load()",
    "return loadstring()",
    "local f, e = loadstring('x=') return e",
    "local i = 0 local f = load(function() i = i + 1 if i == 1 then return 'return ' elseif i == 2 then return 7 end end) return f()",
    // Loaded chunks see the protected globals.
    "return loadstring('return redis.call(\"ping\")')()",
    "return loadstring('redis = 1')()",
    "return loadstring('return nosuchglobal')()",
    "local i = 0 return load(function() i = i + 1 if i == 1 then return 'x = 1' end end)()",
];

#[test]
fn bytecode_is_parsed_as_text() {
    let mut p = pair_or_skip!();
    for s in BYTECODE {
        p.eval(s, &[]);
    }
    // A script body that is bytecode, or starts with ESC.
    p.same(&["EVAL", "\x1bLuaQ\u{0}\u{1}", "0"]);
    p.same(&["EVAL", "\x1b", "0"]);
    p.same(&["SCRIPT", "LOAD", "\x1breturn 1"]);
    p.same(&["EVAL", "#!lua\n\x1b", "0"]);
    // Functions: the library body, and the loaders inside a function.
    p.same(&["FUNCTION", "FLUSH"]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=bin\n\x1bLuaQ"]);
    p.same(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=bin\nreturn loadstring(string.dump(function() return 1 end))",
    ]);
    p.same(&["FUNCTION", "LOAD", "#!lua name=bin\nredis.register_function('fb', function() local s = string.dump(function() return 1 end) local a, e1 = loadstring(s) local b, e2 = load(function() local r = s s = nil return r end) return {type(a), e1, type(b), e2} end)"]);
    p.same(&["FCALL", "fb", "0"]);
    p.same(&["FUNCTION", "FLUSH"]);
}

/// Bytecode whose size fields are corrupt used to reach `luaU_undump`,
/// which asked for exabytes and aborted the process. Every path must leave
/// the server answering (no redis-server needed).
#[test]
fn malformed_bytecode_does_not_kill_the_server() {
    let s = start_ferrodis(&[]);
    let mut c = Conn::connect(s.port);
    // The dump with its source-name length (right after the 12-byte
    // header) replaced by 0x7f7f...: the undumper would allocate that.
    let corrupt = "local s = string.dump(function() return 1 end) s = s:sub(1, 12) .. string.rep('\\127', 8) .. s:sub(21)";
    let scripts = [
        format!("{corrupt} local f, e = load(function() local r = s s = nil return r end) return e"),
        format!("{corrupt} local i = 0 local f, e = load(function() i = i + 1 if i == 1 then return s:sub(1, 1) elseif i == 2 then return s:sub(2) end end) return e"),
        format!("{corrupt} local f, e = loadstring(s) return e"),
    ];
    for script in &scripts {
        let reply = c.cmd_args(&[b"EVAL", script.as_bytes(), b"0"]);
        assert!(
            show(&reply).contains("unexpected symbol near 'char(27)'"),
            "{}",
            show(&reply)
        );
        assert_eq!(show(&c.cmd_args(&[b"PING"])), "+PONG\r\n");
    }
    let body = format!("#!lua name=crash\nredis.register_function('crash', function() {corrupt} local f, e = load(function() local r = s s = nil return r end) return e end)");
    assert_eq!(
        show(&c.cmd_args(&[b"FUNCTION", b"LOAD", body.as_bytes()])),
        "$5\r\ncrash\r\n"
    );
    let reply = c.cmd_args(&[b"FCALL", b"crash", b"0"]);
    assert!(show(&reply).contains("char(27)"), "{}", show(&reply));
    assert_eq!(show(&c.cmd_args(&[b"PING"])), "+PONG\r\n");
}

/// The globals and the protected tables as scripts see them. Redis marks
/// the real tables read-only; ours are proxies, and getmetatable, rawget,
/// next and pairs must still answer what Redis's do.
const GLOBALS: &[&str] = &[
    "local t = {} for k, v in pairs(_G) do t[#t + 1] = k .. ':' .. type(v) end table.sort(t) return t",
    "local t = {} local k = nil repeat k = next(_G, k) if k then t[#t + 1] = k end until not k table.sort(t) return t",
    "local t = {} for k in pairs(string) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k, v in pairs(redis) do t[#t + 1] = k .. ':' .. type(v) end table.sort(t) return t",
    "local t = {} for k in pairs(math) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(table) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(coroutine) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(struct) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(bit) do t[#t + 1] = k end table.sort(t) return t",
    "return {type(rawget(_G, 'redis')), type(rawget(_G, 'nosuch')), type(rawget(string, 'upper')), type(rawget(redis, 'call'))}",
    "return {rawequal(rawget(_G, '_G'), _G), rawequal(rawget(string, 'upper'), string.upper), type(rawget(_G, 'KEYS'))}",
    "return {type(next(_G)), type(next(string)), #redis, #_G}",
    "return {pcall(next, _G, 'nosuchkey')}",
    "return {pcall(next, {}, 'nosuchkey')}",
    "return {pcall(pairs)}",
    "return {pcall(rawget, _G)}",
    "local t = {} for k in pairs({x = 1, y = 2}) do t[#t + 1] = k end table.sort(t) return t",
    // What iteration hands out is protected too.
    "for k, v in pairs(string) do v = nil end string.upper = 1",
    "local n = 0 for k, v in pairs(_G) do if type(v) == 'table' and k ~= 'KEYS' and k ~= 'ARGV' then if pcall(function() v.x = 1 end) then n = n + 1 end end end return n",
    "local n = 0 for k, v in pairs(_G) do if type(v) == 'table' and k ~= 'KEYS' and k ~= 'ARGV' then if pcall(rawset, v, 'x', 1) then n = n + 1 end end end return n",
    // The string metatable: read-only, its __index is the string library.
    "return type(getmetatable('').__index)",
    "return getmetatable('').__index.upper('x')",
    "return rawequal(getmetatable('').__index, string)",
    "local t = {} for k, v in pairs(getmetatable('')) do t[#t + 1] = k .. ':' .. type(v) end return t",
    "getmetatable('').__index = {}",
    "getmetatable('').__index.upper = nil",
    "getmetatable('').foo = 1",
    "setmetatable(getmetatable(''), {})",
    "return {getmetatable('').__metatable, type(getmetatable(getmetatable('')))}",
    "return ('abc'):upper()",
    // Metatables: libraries have none, the globals have Redis's error one.
    "return {type(getmetatable(string)), type(getmetatable(redis)), type(getmetatable(cjson))}",
    "return {type(getmetatable(_G)), type(getmetatable(_G).__index), type(getmetatable(getmetatable(_G)))}",
    "return getmetatable(_G).__index(_G, 'x')",
    "return {pcall(getmetatable(_G).__index, _G, 'x')}",
    "return {pcall(getmetatable(_G).__index, _G, {})}",
    "return {pcall(getmetatable(_G).__index)}",
    "return {pcall(getmetatable)}",
    "return type(getmetatable(setmetatable({}, {__metatable = 'locked'})))",
    // Redis's error handler is a global of EVAL scripts.
    "return type(__redis__err__handler)",
    "return __redis__err__handler('x')",
    "return {type(setfenv), type(getfenv), type(newproxy), type(gcinfo), type(collectgarbage), type(coroutine.create)}",
];

#[test]
fn globals_and_protected_tables() {
    let mut p = pair_or_skip!();
    for s in GLOBALS {
        p.eval(s, &[]);
    }
    // KEYS and ARGV belong to the EVAL that set them; functions have
    // neither, nor the EVAL error handler, and their own _G.
    p.same(&["EVAL", "return {KEYS[1], ARGV[1]}", "1", "k", "a"]);
    p.same(&["FUNCTION", "FLUSH"]);
    for (i, body) in [
        "return type(KEYS)",
        "return type(rawget(_G, 'KEYS'))",
        "return type(__redis__err__handler)",
        "local t = {} for k in pairs(_G) do t[#t + 1] = k end table.sort(t) return t",
        "return {type(getmetatable(_G)), type(getmetatable(_G).__index), type(getmetatable(getmetatable(_G)))}",
        "return {type(getmetatable(redis)), type(getmetatable('').__index), type(rawget(_G, 'redis'))}",
        "return rawequal(_G, rawget(_G, '_G'))",
        "x = 1",
    ]
    .iter()
    .enumerate()
    {
        let lib = format!("#!lua name=g{i}\nredis.register_function('g{i}', function(KEYS, ARGV) {body} end)");
        p.same(&["FUNCTION", "LOAD", &lib]);
        p.same(&["FCALL", &format!("g{i}"), "1", "k"]);
    }
    // At load time a library only sees `redis`.
    p.same(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=atload\nreturn rawget(_G, 'string')",
    ]);
    p.same(&["FUNCTION", "FLUSH"]);
}

/// With `lua-enable-deprecated-api`, getfenv returned the interpreter's
/// real globals table (for level 0 and any C function), and writes to it
/// outlived the script. Redis's getfenv gives the read-only _G.
#[test]
fn deprecated_api_getfenv_gives_the_protected_globals() {
    let Some(mut p) = Pair::with_args(&["--lua-enable-deprecated-api", "yes"]) else {
        return;
    };
    for s in [
        "return {getfenv(0) == _G, getfenv(1) == _G, getfenv() == _G, getfenv(tostring) == _G, getfenv(redis.call) == _G}",
        "getfenv(0).redis = 1",
        "getfenv(tostring).x = 1",
        "rawset(getfenv(0), 'x', 1)",
        "return type(getfenv(0).redis)",
        "return {pcall(getfenv, -1)}",
        "return {pcall(getfenv, 100)}",
        "return {pcall(getfenv, 'x')}",
        "return {pcall(setfenv, tostring, {})}",
        "local f = function() return x end setfenv(f, {x = 5}) return f()",
        "local f = function() return getfenv(2) == _G end return f()",
        "return {type(newproxy(true)), type(getmetatable(newproxy(true)))}",
    ] {
        p.eval(s, &[]);
    }
}

/// `struct` with Redis's bounds (CVE-2020-14147 and follow-ups): sizes up
/// to 32 bytes and INT_MAX, power-of-2 alignments, offsets and lengths
/// checked against the data, the C stack limit on results; and the errors
/// of lua_struct.c, argument errors named after the call site.
const STRUCT: &[&str] = &[
    "return struct.pack('>I16',1)",
    "return struct.pack('>I17',1)",
    "return struct.pack('>i16',1)",
    "return struct.pack('>I8',1)",
    "return struct.pack('!17')",
    "return struct.pack('!16')",
    "return struct.pack('!3')",
    "return struct.pack('!')",
    "return struct.pack('c0', 'abc')",
    "return struct.pack('c99999999999', 'abc')",
    "return struct.pack('c2147483648', 'abc')",
    "return struct.pack('c2147483647', 'abc')",
    "return struct.pack('i99999999999999999999', 1)",
    "return struct.pack('>i2147483648',1)",
    "return struct.pack('>i4294967297',1)",
    "return struct.pack('s', 'abc')",
    "return struct.pack('x5')",
    "return struct.pack('x2147483647')",
    "return struct.pack('c', 'abc')",
    "return struct.pack('c5', 'abc')",
    "return struct.pack('c2', 'abc')",
    "return struct.pack('f', 1.5)",
    "return struct.pack('d', 1.5)",
    "return struct.pack('z')",
    "return struct.pack('q')",
    "return struct.pack('>I3',1)",
    "return struct.pack('<i0',1)",
    "return {struct.unpack('>I2', 'abcd', -1)}",
    "return {struct.unpack('>I2', 'abcd', 0)}",
    "return {struct.unpack('>I2', 'abcd', 4)}",
    "return {struct.unpack('>I2', 'abcd', 5)}",
    "return {struct.unpack('>I2', 'abcd', 3)}",
    "return {struct.unpack('>I2', 'abcd', 100)}",
    "return {struct.unpack('>I2', 'abcd', -100)}",
    "return {struct.unpack('>I2', 'abcd', 2^40)}",
    "return {struct.unpack('>I2', 'abcd', -2^40)}",
    "return {struct.unpack('c0', 'abcd')}",
    "return {struct.unpack('bc0', '\\3abcd')}",
    "return {struct.unpack('bc0', '\\255abcd')}",
    "return {struct.unpack('Bc0', '\\255abcd')}",
    "return {struct.unpack('ic0', '\\255\\255\\255\\127abcd')}",
    "return {struct.unpack('c5', 'abcd')}",
    "return {struct.unpack('s', 'abcd')}",
    "return {struct.unpack('s', 'ab\\0cd')}",
    "return {struct.unpack('>I16', string.rep('a', 16))}",
    "return {struct.unpack('>I8', string.rep('\\255', 8))}",
    "return {struct.unpack('>i8', string.rep('\\255', 8))}",
    "return {struct.unpack('>i3', '\\255\\255\\254')}",
    "return {struct.unpack('!4 b i', string.rep('\\1', 8))}",
    "return {struct.unpack('x', '')}",
    "return {struct.unpack('', 'abc')}",
    "return {struct.unpack('f', 'abcd')}",
    "return struct.size('>I16')",
    "return struct.size('c0')",
    "return struct.size('s')",
    "return struct.size('!8bd')",
    "return struct.size('c2147483647c2147483647')",
    "return struct.size('x99999999999')",
    "return {struct.unpack('I', 'abcdefgh', 1.5)}",
    "return {struct.unpack('I', 'abcdefgh', '2')}",
    "return {struct.unpack('I', 'abcdefgh', 'x')}",
    "return struct.pack('I', 'x')",
    "return struct.pack('I')",
    "return struct.pack('y')",
    "return struct.pack('!0')",
    "return {struct.unpack('>i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\1')}",
    "return {struct.unpack('>i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\128')}",
    "return {struct.unpack('>i9', '\\255\\0\\0\\0\\0\\0\\0\\0\\128')}",
    "return {struct.unpack('<i0', '')}",
    "return {struct.unpack('<i0', 'ab')}",
    "return {struct.unpack('>i12', 'abcdefghijkl')}",
    "return {struct.unpack('>i16', string.rep('\\255', 16))}",
    "return struct.pack('<i10', -1)",
    "return struct.pack('>I8', 0/0)",
    "return struct.pack('>I8', 2^64)",
    "return struct.pack('>i8', -1e300)",
    "local p = struct.pack return p('y')",
    "local p = struct.pack return p()",
    "return struct.pack()",
    "return struct.unpack()",
    "return struct.unpack('b')",
    "return struct.size()",
    "return struct.size('=')",
    "return struct.pack('=')",
    "return struct.pack('b\\0y', 1)",
    "return #struct.pack('c0', 1e15)",
    "return struct.pack('c0', 1e15)",
    "return struct.pack('s', 12.5)",
    "return {struct.unpack('c1c0', '3abcd')}",
    "return {struct.unpack('fc0', '\\0\\0\\128\\127abcd')}",
    "return {struct.unpack('dc0', '\\0\\0\\0\\0\\0\\0\\240\\127abcd')}",
    "return {struct.unpack('>', 'ab', 5)}",
    "return {struct.unpack('b', 'ab', ' 2 ')}",
    "return {struct.unpack('b', 'ab', '0x2')}",
    "return {struct.unpack('b', 'ab', nil)}",
    "return {struct.unpack('b', 'ab', 2.9)}",
    "return #{struct.unpack(string.rep('b', 7996), string.rep('a', 8000))}",
    "return #{struct.unpack(string.rep('b', 7997), string.rep('a', 8000))}",
    "return #{struct.unpack(string.rep('b', 7995), string.rep('a', 8000), 1)}",
    "return #{struct.unpack(string.rep('b', 7996), string.rep('a', 8000), 1)}",
    "return #{struct.unpack(string.rep('x', 9000), string.rep('a', 9000))}",
    "return {pcall(struct.unpack, string.rep('b', 8000), string.rep('a', 8000))}",
    "return {pcall(struct.pack, 'y')}",
    "return {struct.pack('!4 b i', 1, 2)}",
    "return {struct.pack('!2 b d', 1, 2)}",
    "return {struct.pack('!8 b i3 b I5 h', 1, 2, 3, 4, 5)}",
    "return {struct.unpack('!8 b i3 b I5 h', struct.pack('!8 b i3 b I5 h', 1, 2, 3, 4, 5))}",
    "return struct.size('!8 b i3 b I5 h d f T l L')",
    "return {struct.pack('>f', 1e300)}",
    "return {struct.pack('b', '12')}",
    "return {struct.pack('b', 'x12')}",
    "return {struct.pack('b', {})}",
    "return {struct.pack('c', {})}",
    "return {struct.pack('bb', 1)}",
    "return {struct.pack('xxb')}",
    "return {struct.unpack('s', 'abc', 4)}",
    "return {struct.unpack('s', 'abc', 5)}",
    "return {struct.unpack('x', 'abc', 4)}",
    "return #{struct.unpack(string.rep('c1', 7997), string.rep('a', 8000))}",
    "return #{struct.unpack(string.rep('c1', 7998), string.rep('a', 8000))}",
];

#[test]
fn struct_library_bounds_and_errors() {
    let mut p = pair_or_skip!();
    for s in STRUCT {
        p.eval(s, &[]);
    }
}

/// `cmsgpack` as lua_cmsgpack.c: unpack_limit / unpack_one offsets and
/// limits (negative ones refused with Redis's message, which prints the
/// input length as the limit), only lua-cmsgpack's types, u64 wrapping,
/// nil map keys, the C stack checks on many or deeply nested objects, and
/// the packing rules (NaN as a double, array keys within int range).
const CMSGPACK: &[&str] = &[
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), -1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1, 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1, -1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1, 100)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1, 3)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1, 4)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 1)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), -5)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 3)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 2)}",
    "return {cmsgpack.unpack()}",
    "return {cmsgpack.unpack('')}",
    "return {cmsgpack.unpack('\\192')}",
    "return {cmsgpack.unpack('\\193')}",
    "return {cmsgpack.unpack('\\220\\255\\255')}",
    "return {cmsgpack.unpack('\\221\\255\\255\\255\\255')}",
    "return {cmsgpack.unpack('\\223\\255\\255\\255\\255')}",
    "return {cmsgpack.unpack('\\219\\255\\255\\255\\255')}",
    "return {cmsgpack.unpack('\\218\\255\\255')}",
    "return {cmsgpack.unpack('\\217\\255')}",
    "return {cmsgpack.unpack('\\196\\5abc')}",
    "return {cmsgpack.unpack('\\147\\1\\2')}",
    "return {cmsgpack.unpack('\\1\\2\\3')}",
    "return cmsgpack.pack()",
    "return cmsgpack.pack(nil)",
    "return cmsgpack.pack({1,2,nil,4})",
    "return cmsgpack.pack({a=1})",
    "return cmsgpack.pack(1.5, -1, 2^40, -2^40, 2^63, 2^64, -2^63, 0/0, 1/0)",
    "return cmsgpack.pack(function() end)",
    "return cmsgpack.pack(string.rep('x', 70000))",
    "local t = {} local c = t for i=1,20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)",
    "local t = {} local c = t for i=1,20 do c[1] = {} c = c[1] end return {cmsgpack.unpack(cmsgpack.pack(t))}",
    "local t = {} local c = t for i=1,2000 do c[1] = {} c = c[1] end return #cmsgpack.pack(t)",
    "local t = {} t[1] = t return cmsgpack.pack(t)",
    "return {cmsgpack.unpack(string.rep('\\145', 100000) .. '\\1')}",
    "return #{cmsgpack.unpack(string.rep('\\1', 10000))}",
    "return #{cmsgpack.unpack(string.rep('\\1', 7990))}",
    "return #{cmsgpack.unpack(string.rep('\\1', 7999))}",
    "return #{cmsgpack.unpack(string.rep('\\1', 8001))}",
    "return cmsgpack.pack({[1.5]=1})",
    "return cmsgpack.pack({[true]=1})",
    "return cmsgpack.pack(true, false)",
    "return {cmsgpack.unpack('\\202\\0\\0\\128\\63')}",
    "return {cmsgpack.unpack('\\203\\63\\240\\0\\0\\0\\0\\0\\0')}",
    "return {cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')}",
    "return {cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0')}",
    "return {cmsgpack.unpack('\\212\\1\\1')}",
    "return {cmsgpack.unpack('\\199\\1\\1\\1')}",
    "return {cmsgpack.unpack('\\129\\1')}",
    "return {cmsgpack.unpack('\\145')}",
    "return {cmsgpack.unpack('\\129\\192\\1')}",
    "return {cmsgpack.unpack_one()}",
    "return {cmsgpack.unpack_one('\\1', 'x')}",
    "return {cmsgpack.unpack_limit('\\1')}",
    "return {cmsgpack.unpack_limit()}",
    "return {cmsgpack.unpack_limit('\\1\\2', 0, 1)}",
    "return {cmsgpack.unpack_limit('\\1\\2', 0, 0)}",
    "return {cmsgpack.unpack_limit('\\1\\2', 5, 0)}",
    "return {cmsgpack.unpack_limit('\\1\\2', 5, 2)}",
    "return {cmsgpack.unpack_one('\\1\\2', 2)}",
    "return {cmsgpack.unpack_one('', 0)}",
    "return {cmsgpack.unpack('')}",
    "return {cmsgpack.unpack_limit('\\1\\2', -5, -7)}",
    "return {cmsgpack.unpack_limit('\\1\\2', 2^40, 2^33)}",
    "return {cmsgpack.unpack(12)}",
    "return {cmsgpack.unpack({})}",
    "local p = cmsgpack.unpack_one return {p()}",
    "return #{cmsgpack.unpack(string.rep('\\1', 7998))}",
    "return #{cmsgpack.unpack(string.rep('\\1', 7998), 'x')}",
    "return #{cmsgpack.unpack(string.rep('\\1', 7999), 'x')}",
    "return #{cmsgpack.unpack_limit(string.rep('\\1', 8000), 7998)}",
    "return #{cmsgpack.unpack_limit(string.rep('\\1', 8000), 7999)}",
    "return #{cmsgpack.unpack_one(string.rep('\\1', 8000), 0)}",
    "return #cmsgpack.pack(cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1'))",
    "return {cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1')}",
    "return {cmsgpack.unpack(string.rep('\\145', 3999) .. '\\144')}",
    "return {cmsgpack.unpack(string.rep('\\129\\1', 4000) .. '\\1')}",
    "return {cmsgpack.unpack(string.rep('\\129', 4000) .. '\\1')}",
    "return {cmsgpack.unpack(string.rep('\\129', 3998) .. '\\1\\1')}",
    "return {cmsgpack.unpack(string.rep('\\129', 7998) .. '\\1\\1')}",
    "return {cmsgpack.unpack('\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')}",
    "return {cmsgpack.unpack('\\130\\192\\1\\1\\2')}",
    "return {cmsgpack.unpack('\\146\\192\\1')}",
    "return {cmsgpack.unpack('\\221\\255\\255\\255\\255\\1')}",
    "return {cmsgpack.unpack('\\223\\255\\255\\255\\255\\1\\1')}",
    "return {cmsgpack.unpack('\\219\\0\\0\\0\\3abc')}",
    "return {cmsgpack.unpack('\\219\\0\\0\\0\\4abc')}",
    "return {cmsgpack.unpack('\\218\\0\\3abc\\1')}",
    "return {cmsgpack.unpack('\\217\\3abc\\1')}",
    "return {cmsgpack.unpack('\\197\\0\\1a')}",
    "return {cmsgpack.unpack('\\214\\1\\1\\1\\1\\1')}",
    "return {cmsgpack.unpack('\\204')}",
    "return {cmsgpack.unpack('\\205\\1')}",
    "return cmsgpack.pack({[2^31-1]=1})",
    "return cmsgpack.pack({[2^31]=1})",
    "return cmsgpack.pack({1, 2, [4]=4})",
    "return cmsgpack.pack({[1]=1, [2]=2, [2.5]=3})",
    "return cmsgpack.pack({[-1]=1})",
    "return cmsgpack.pack(setmetatable({}, {__index = function() return 1 end}))",
    "return cmsgpack.pack(string.rep('a', 31), string.rep('a', 32), string.rep('a', 255), string.rep('a', 256))",
    "return cmsgpack.pack({string.rep('a', 20)})",
    "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 20 do t['k' .. i] = i end return #cmsgpack.pack(t)",
    "return cmsgpack.pack(-0.0, 0.5, -33, -129, -32769, -2^31-1, 2^32, 255, 256, 65535, 65536)",
    "local t = {} t[1] = t return #cmsgpack.pack(t)",
    "return cmsgpack.pack(redis.call)",
    "return cmsgpack.pack(cjson.null)",
    "return {pcall(cmsgpack.pack)}",
    "return {pcall(cmsgpack.unpack, '\\193')}",
    "return type(cmsgpack.unpack(string.rep('\\145', 3998) .. '\\1'))",
    "return #{cmsgpack.unpack(string.rep('\\161a', 7999))}",
    "return #{cmsgpack.unpack(string.rep('\\161a', 8000))}",
    "local t = {} for k, v in pairs(cmsgpack) do t[#t + 1] = k .. ':' .. tostring(type(v) == 'string' and v or type(v)) end table.sort(t) return t",
];

#[test]
fn cmsgpack_library_bounds_and_errors() {
    let mut p = pair_or_skip!();
    for s in CMSGPACK {
        p.eval(s, &[]);
    }
}

/// `cjson` as lua_cjson.c: the tokenizer's errors and positions, strtod's
/// numbers, a NUL ending the input, the nesting limits and Lua C stack
/// checks in both directions (CVE-2022-24834 era), the options' argument
/// checks, `cjson.new()` with its own settings, and `-0`.
const CJSON: &[&str] = &[
    "local t = {} local c = t for i=1,999 do c[1] = {} c = c[1] end return #cjson.encode(t)",
    "local t = {} local c = t for i=1,1000 do c[1] = {} c = c[1] end return #cjson.encode(t)",
    "local t = {} local c = t for i=1,1001 do c[1] = {} c = c[1] end return cjson.encode(t)",
    "local t = {} local c = t for i=1,5000 do c[1] = {} c = c[1] end return cjson.encode(t)",
    "local t = {} t[1] = t return cjson.encode(t)",
    "local t = {} local c = t for i=1,1001 do c.a = {} c = c.a end return cjson.encode(t)",
    "return type(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))",
    "return type(cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001)))",
    "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
    "return cjson.decode(string.rep('[', 100000))",
    "return cjson.decode(string.rep('{\"a\":', 1001))",
    "return type(cjson.decode(string.rep('{\"a\":', 999) .. '1' .. string.rep('}', 999)))",
    "return type(cjson.decode(string.rep('{\"a\":', 1000) .. '1' .. string.rep('}', 1000)))",
    "return type(cjson.decode(string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001)))",
    "return #cjson.encode(string.rep('\\1', 100000))",
    "return cjson.encode(string.rep('\\1', 3))",
    "return cjson.encode({[1]=1, [3]=3})",
    "return cjson.encode({[1]=1, [30]=3})",
    "return cjson.encode({[1]=1, [11]=3})",
    "return cjson.encode({[1]=1, [12]=3})",
    "return cjson.encode({[1.5]=1})",
    "return cjson.encode({[true]=1})",
    "return cjson.encode(function() end)",
    "return cjson.encode(0/0)",
    "return cjson.encode(1/0)",
    "return cjson.encode(1e300)",
    "return cjson.encode(0.1)",
    "return cjson.encode(-0)",
    "return cjson.encode(123456789012345678)",
    "return cjson.encode()",
    "return cjson.encode(1, 2)",
    "return cjson.decode()",
    "return cjson.decode('')",
    "return cjson.decode('[1,2')",
    "return cjson.decode('\"\\\\u0000\"')",
    "return cjson.decode('\"\\\\ud800\"')",
    "return cjson.decode('nan')",
    "return cjson.decode('1e400')",
    "return cjson.decode('0x10')",
    "return cjson.decode('[1,]')",
    "return cjson.decode('{\"a\":1,}')",
    "return cjson.decode('  ')",
    "return cjson.decode('[1] x')",
    "return cjson.decode(' \"abc')",
    "return cjson.decode('\"\\\\x\"')",
    "return cjson.decode('\"\\1\"')",
    "return cjson.encode(cjson.null)",
    "return type(cjson.null)",
    "return type(cjson.encode_invalid_numbers)",
    "return {cjson.encode_sparse_array()}",
    "return {cjson.encode_number_precision()}",
    "return {cjson.decode_invalid_numbers()}",
    "return cjson.encode({a={b={}}})",
    "return type(cjson.new)",
    "return cjson._NAME",
    "return cjson._VERSION",
    "return cjson.encode(string.rep('a', 1000) .. '\\\\/\"')",
    "return cjson.decode('[1]\\0 x')",
    "return cjson.decode('\"a\\0b\"')",
    "return cjson.decode('\"\\\\u0000\"')",
    "return cjson.decode('\"\\\\ud83d\\\\ude00\"')",
    "return cjson.decode('\"\\\\udc00\"')",
    "return cjson.decode('\"\\\\ud800\\\\u0041\"')",
    "return cjson.decode('\"\\\\u12\"')",
    "return cjson.decode('\"\\\\u12g4\"')",
    "return cjson.decode('+1')",
    "return cjson.decode('-inf')",
    "return cjson.decode('Infinity')",
    "return cjson.decode('NaN')",
    "return cjson.decode('0x1p4')",
    "return cjson.decode('01')",
    "return cjson.decode('1e5x')",
    "return cjson.decode('tru')",
    "return cjson.decode('nul')",
    "return cjson.decode('[true,false,null]')",
    "return cjson.decode('{\"a\":1,\"a\":2}')",
    "return cjson.decode('{1:2}')",
    "return cjson.decode('{\"a\" 1}')",
    "return cjson.decode('[1 2]')",
    "return cjson.decode('{\"a\":1 \"b\"}')",
    "return cjson.decode('-')",
    "return cjson.decode('.5')",
    "return cjson.decode('5.')",
    "return cjson.decode('1.5e+3')",
    "return cjson.decode('\\1')",
    "return cjson.decode('a')",
    "return cjson.decode(12)",
    "return cjson.decode({})",
    "return cjson.decode('1', 2)",
    "return cjson.encode(1, 2)",
    "return cjson.encode()",
    "return cjson.encode(-0.0)",
    "return cjson.encode({-0.0})",
    "return cjson.encode({[-0.0] = 1})",
    "return cjson.encode({[0/0] = 1})",
    "return cjson.encode({[1/0] = 1})",
    "return cjson.encode({[2^31] = 1})",
    "return cjson.encode({[3] = 1, [1] = 1})",
    "return cjson.encode({[0] = 1})",
    "return cjson.encode({[-1] = 1})",
    "return cjson.encode({[1.5] = 1})",
    "return cjson.encode({[1]=1,[2]=2,[30]=3})",
    "return cjson.encode(string.rep('\\0\\1\\127\\128\\255\"\\\\/', 2))",
    "return cjson.encode(redis.call)",
    "return cjson.encode({f = redis.call})",
    "return cjson.encode(cjson.null)",
    "return cjson.encode({cjson.null})",
    "return cjson.encode(coroutine.create(function() end))",
    "return cjson.encode(1e-5)",
    "return cjson.encode(123456.789e3)",
    "return cjson.encode(2^53)",
    "return cjson.encode(-1/3)",
    "local c = cjson.new() return {c.encode({1}), type(c.null), c._NAME, c._VERSION}",
    "local c = cjson.new() c.encode_max_depth(1) return {pcall(c.encode, {{1}})}",
    "local c = cjson.new() c.encode_max_depth(1) return cjson.encode({{1}})",
    "local c = cjson.new() c.x = 1 return c.x",
    "return {pcall(cjson.encode_max_depth, 0)}",
    "return {pcall(cjson.encode_max_depth, 'x')}",
    "return {pcall(cjson.encode_max_depth, 1, 2)}",
    "return {pcall(cjson.encode_keep_buffer, 'x')}",
    "return {pcall(cjson.encode_keep_buffer, 'on')}",
    "return {pcall(cjson.encode_invalid_numbers, 'null')}",
    "return {pcall(cjson.encode_invalid_numbers, 'maybe')}",
    "return {pcall(cjson.encode_sparse_array, true, -1)}",
    "return {pcall(cjson.encode_sparse_array, 'x')}",
    "return {cjson.encode_sparse_array()}",
    "return {cjson.encode_number_precision()}",
    "return {pcall(cjson.encode_number_precision, 15)}",
    "return {cjson.decode_invalid_numbers()}",
    "return {cjson.encode_max_depth()}",
    "return {cjson.decode_max_depth()}",
    "local c = cjson.new() c.encode_invalid_numbers(true) return {c.encode(0/0), c.encode(1/0), c.encode(-1/0)}",
    "local c = cjson.new() c.encode_invalid_numbers('null') return {c.encode({0/0, 1/0})}",
    "local c = cjson.new() c.decode_invalid_numbers(false) return {pcall(c.decode, 'nan')}",
    "local c = cjson.new() c.decode_invalid_numbers(false) return {pcall(c.decode, '0x10')}",
    "local c = cjson.new() c.decode_invalid_numbers(false) return {pcall(c.decode, '-0x10')}",
    "local c = cjson.new() c.decode_invalid_numbers(false) return {pcall(c.decode, '+1')}",
    "local c = cjson.new() c.decode_invalid_numbers(false) return {pcall(c.decode, '[01]')}",
    "local c = cjson.new() c.decode_invalid_numbers(false) return {pcall(c.decode, 'inf')}",
    "local c = cjson.new() c.encode_sparse_array(true) return c.encode({[1]=1,[20]=2})",
    "local c = cjson.new() c.encode_sparse_array(false, 0) return c.encode({[1]=1,[20]=2})",
    "local c = cjson.new() c.encode_number_precision(3) return c.encode(1/3)",
    "local c = cjson.new() c.encode_max_depth(5000) local t = {} local x = t for i=1,4500 do x[1] = {} x = x[1] end return #c.encode(t)",
    "local c = cjson.new() c.encode_max_depth(9000) local t = {} local x = t for i=1,8500 do x[1] = {} x = x[1] end return {pcall(c.encode, t)}",
    "local c = cjson.new() c.encode_max_depth(9000) local t = {} local x = t for i=1,4500 do x.a = {} x = x.a end return {pcall(c.encode, t)}",
    "local c = cjson.new() c.decode_max_depth(9000) return {pcall(c.decode, string.rep('[', 8500) .. string.rep(']', 8500))}",
    "local c = cjson.new() c.decode_max_depth(9000) return {pcall(c.decode, string.rep('{\"a\":', 4500))}",
    "local c = cjson.new() c.decode_max_depth(9000) return type(c.decode(string.rep('[', 7000) .. string.rep(']', 7000)))",
];

#[test]
fn cjson_library_bounds_and_errors() {
    let mut p = pair_or_skip!();
    for s in CJSON {
        p.eval(s, &[]);
    }
    // The module's settings outlive the script that changed them, in both.
    p.eval("return cjson.encode_max_depth(2)", &[]);
    p.eval("return {pcall(cjson.encode, {{{1}}})}", &[]);
}

/// table.insert on a protected table: Redis's lua_rawseti refuses it; a
/// proxy used to take the value and keep it for every later script (the
/// last reads check nothing stayed behind).
const TABLE_INSERT: &[&str] = &[
    "table.insert(string, 'x')",
    "table.insert(_G, 'x')",
    "return {pcall(table.insert, redis, 'x')}",
    "table.insert(string, 1, 'x')",
    "table.insert(string)",
    "table.insert(string, 'a', 'b')",
    "table.insert(getmetatable(''), 'x')",
    "return {table.remove(string)}",
    "table.sort(string)",
    "return #string",
    "return string[1]",
    "local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return t",
    "table.insert(KEYS, 'x') return KEYS",
    "local t = {1,2,3} table.insert(t, 10, 'x') return {#t, t[10]}",
    "local t = {1,2,3} table.insert(t, -1, 'x') return {#t, t[-1]}",
    "local t = {1,2,3} table.insert(t, 0, 'x') return {#t, t[0], t[1]}",
    "local t = {1,2,3} table.insert(t, 2.7, 'x') return t",
    "local t = {1,2,3} table.insert(t, '2', 'x') return t",
    "return {pcall(table.insert, {}, 1, 2, 3)}",
    "return {pcall(table.insert)}",
    "return {pcall(table.insert, 1, 2)}",
    "local ins = table.insert return {pcall(ins, nil, 2)}",
    "local t = setmetatable({}, {__newindex = function() error('no') end}) table.insert(t, 1) return t",
];

#[test]
fn table_insert_respects_read_only_tables() {
    let mut p = pair_or_skip!();
    for s in TABLE_INSERT {
        p.eval(s, &[]);
    }
}

/// Base functions Redis provides as C functions (its pcall, and the stock
/// ones its read-only tables act inside): argument errors name '?' under
/// pcall, positions are the caller's, unpack refuses ranges it cannot
/// count (the vendored interpreter's own unpack overflowed and crashed on
/// `unpack({}, -2, 2^31 - 1)`), pcall returns everything f returned.
const BASE_FUNCTIONS: &[&str] = &[
    "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) return {x, y, coroutine.status(co)}",
    "return coroutine.wrap(function() return 'w' end)()",
    "return {pcall(coroutine.resume, coroutine.running())}",
    "return type(coroutine.running())",
    "return {string.format('%5.2f|%d|%s|%q', 3.14159, 42, 'x', 'a\\0b')}",
    "return string.rep('ab', 3, ',')",
    "return {string.find('hello', 'l+')}",
    "return {('x'):byte(1, -1)}",
    "return tostring(nil) .. tostring(true) .. tostring(12.5)",
    "return tostring(1e100)",
    "return tostring(-0)",
    "return math.floor(-3.5) .. ' ' .. math.fmod(7, 3) .. ' ' .. math.huge",
    "return {math.max(1, 5, 3), math.min(2, -1)}",
    "return {pcall(math.max)}",
    "return select('#', 1, nil, 3)",
    "return {select(-1, 1, 2, 3)}",
    "return {pcall(select, 0, 1)}",
    "return {pcall(error)}",
    "return {pcall(error, nil)}",
    "return {pcall(error, {code = 1})}",
    "return {pcall(assert, false)}",
    "return {pcall(assert, nil, 'msg')}",
    "return {pcall(assert, 1, 2)}",
    "return {xpcall(function() error('x') end, function(e) return 'handled: ' .. e end)}",
    "return {xpcall(function() error({}) end, function(e) return type(e) end)}",
    "return {pcall(redis.call, 'ping')}",
    "return {tonumber('0x10'), tonumber('10', 2), tonumber('z', 36), tonumber(' 5 '), tonumber('5x'), tonumber('')}",
    "return gcinfo() > 0",
    "return collectgarbage('count') > 0",
    "return {pcall(collectgarbage, 'bogus')}",
    "return collectgarbage('step')",
    "return _VERSION",
    "return {pcall(string.dump, print)}",
    "return {pcall(string.dump, string.upper)}",
    "return type(string.dump(function() end))",
    "return {pcall(setmetatable, {}, 1)}",
    "return {pcall(rawequal)}",
    "return {pcall(rawset, {}, nil, 1)}",
    "return {pcall(rawset, {}, 0/0, 1)}",
    "return {pcall(unpack, {}, 1, 1e8)}",
    "return {pcall(unpack, {1, 2}, 1, 7999)}",
    "return #{unpack({1, 2, 3}, 1, 7000)}",
    "return {pcall(string.rep, 'x', -1)}",
    "return #string.rep('x', 100000)",
    "return {pcall(string.format, '%d', 'x')}",
    "return {pcall(string.format, '%99d', 1)}",
    "return {pcall(string.format, '%100d', 1)}",
    "return {pcall(string.char, 256)}",
    "return {pcall(table.concat, {1, {}, 3})}",
    "return {pcall(table.getn, 1)}",
    "return {pcall(table.setn, {}, 1)}",
    "return {pcall(table.maxn, {1, 2, [10] = 3})}",
    "return {pcall(ipairs)}",
    "return {pcall(tostring)}",
    "return {pcall(type)}",
    "return {pcall(getmetatable, 1)}",
    "return {pcall(newproxy)}",
    "return {pcall(load, 'x')}",
    "setmetatable(string, {})",
    "setmetatable({}, {}, 1)",
    "return {pcall(setmetatable, string, 1)}",
    "return {pcall(setmetatable, 1, {})}",
    "return {pcall(setmetatable, setmetatable({}, {__metatable = 1}), {})}",
    "return {pcall(rawset, string, 'x', 1)}",
    "return {pcall(rawset, {}, 'x')}",
    "return {pcall(rawset, _G, 'x', 1)}",
    "return {pcall(rawset, {})}",
    "rawset(redis, 'x')",
    "local t = {} rawset(t, 'a', 1) return t.a",
    "local t = setmetatable({}, {__index = function() return 'i' end}) return {t.x, rawget(t, 'x')}",
    "return {unpack({1,2,3}, -2, 2147483647)}",
    "return {pcall(unpack, {}, 1, 8000)}",
    "return {pcall(unpack, {}, 1, 7997)}",
    "return #{unpack({}, 1, 7997)}",
    "return {pcall(unpack)}",
    "return {unpack({1, 2, 3})}",
    "return {unpack({1, 2, 3}, 2)}",
    "return {unpack({1, 2, 3}, '2', '3')}",
    "return {pcall()}",
    "return {pcall(nil)}",
    "return {pcall(1)}",
    "return {pcall(error, {err = 'E1'})}",
    "return {pcall(error, {err = 5})}",
    "return {pcall(error, {err = {}})}",
    "return {pcall(error, {})}",
    "return {pcall(error, 'x', 0)}",
    "return {pcall(redis.call, 'nosuch')}",
    "return {pcall(struct.pack, 'y')}",
    "return {pcall(function() return 1, 2, 3 end)}",
    "return {pcall(pcall, error, 'x')}",
    "return select('#', pcall(function() return nil, nil end))",
    "return {pcall(string.rep)}",
    "local ok, e = pcall(function() local x = nil; return x.y end) return e",
    "return #{pcall(unpack, {}, 1, 7990)}",
];

#[test]
fn base_functions_behave_like_redis_c_functions() {
    let mut p = pair_or_skip!();
    for s in BASE_FUNCTIONS {
        p.eval(s, &[]);
    }
    assert_eq!(show(&p.ours.cmd_args(&[b"PING"])), "+PONG\r\n");
}

/// `bit` as LuaBitOp: the 2^52 + 2^51 reduction (huge values keep bits,
/// numeric strings convert), argument order of errors, tohex widths.
const BIT: &[&str] = &[
    "return {bit.tobit(0xffffffff), bit.tobit(2^53), bit.tobit(-2^53), bit.tobit(1e300), bit.tobit(0/0), bit.tobit(1/0)}",
    "return {bit.tobit('12'), bit.tobit(' 0x10 ')}",
    "return {pcall(bit.tobit)}",
    "return {pcall(bit.tobit, 'x')}",
    "return {pcall(bit.band)}",
    "return {pcall(bit.band, 1, 'x')}",
    "return {bit.band(1), bit.bor(), 1}",
    "return {bit.tohex(255, 0), bit.tohex(255, 9), bit.tohex(255, -9), bit.tohex(-1, 100)}",
    "return {bit.lshift(1, 32), bit.lshift(1, -1), bit.rshift(1, 33), bit.arshift(-1, 100)}",
    "return {bit.rol(1, -1), bit.ror(1, 1), bit.bswap(-1), bit.bnot(0)}",
    "local b = bit.band return {pcall(b, {})}",
    "return {bit.tobit(2147483648.5), bit.tobit(2147483647.5), bit.tobit(-0.5), bit.tobit(0.5), bit.tobit(1.5), bit.tobit(2.5)}",
    "return bit.tohex(1, 2147483647)",
    "return bit.tohex(1, -2147483648)",
    "return {pcall(bit.tohex, 1, 'x')}",
    "return {pcall(bit.lshift, 1)}",
    "return {pcall(bit.lshift)}",
    "return {pcall(bit.tohex, 1, nil)}",
    "return {bit.band(1, 3, 7), bit.bor(1, 2, 4, 8), bit.bxor(1, 1, 1)}",
    "return {pcall(bit.band, 1, 'x', {})}",
    "return {bit.tobit('0x7fffffff'), bit.tobit('1e10')}",
];

#[test]
fn bit_library_like_luabitop() {
    let mut p = pair_or_skip!();
    for s in BIT {
        p.eval(s, &[]);
    }
}
