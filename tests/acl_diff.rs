//! Differential tests for ACL: the same ACL SETUSER / GETUSER / LIST /
//! CAT / DRYRUN / AUTH calls, and commands refused with NOPERM, go to a
//! real `redis-server` and to ferrodis, and the replies must match byte
//! for byte. Skipped, with a printed reason, where redis-server is not
//! installed.
//!
//! Redis walks its command table in hash order when it describes a user,
//! so a rule set naming two single commands (`+get +set`) comes back in
//! either order; the cases here keep to rules that describe one way only.

mod common;

use common::{show, Conn, Pair};

impl Pair {
    /// A second connection to each server.
    fn second(&self) -> (Conn, Conn) {
        (Conn::connect(self.ports.0), Conn::connect(self.ports.1))
    }

    fn same(&mut self, args: &[&str]) -> Vec<u8> {
        same_on(&mut self.redis, &mut self.ours, args)
    }
}

fn same_on(redis: &mut Conn, ours: &mut Conn, args: &[&str]) -> Vec<u8> {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    let a = redis.cmd_args(&refs);
    let b = ours.cmd_args(&refs);
    assert_eq!(show(&b), show(&a), "reply differs for: {:?}", args);
    a
}

macro_rules! pair_or_skip {
    () => {
        match Pair::new() {
            Some(p) => p,
            None => return,
        }
    };
}

fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

#[test]
fn setuser_and_getuser() {
    let mut p = pair_or_skip!();
    let cases = [
        "alice on >pw ~k* +get",
        "bob on nopass +@all -@dangerous ~* &*",
        "carol %R~r* %W~w* %RW~b* resetchannels &ch* +@hash",
        "dave (~x* +get) (~y* +@set)",
        "eve +@all -get",
        "gina on >a >b <a #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        "hank reset",
        "ivan +@all -config|set",
        "judy -@all +client|id",
        "kim allkeys allchannels allcommands",
        "lee ~a ~b resetkeys ~c &x &y resetchannels &z nocommands",
        "mia %R~x %W~x",
        "ned skip-sanitize-payload",
        "olga +select|0",
    ];
    for c in cases {
        let mut args = vec!["ACL", "SETUSER"];
        args.extend(words(c));
        p.same(&args);
        p.same(&["ACL", "GETUSER", args[2]]);
    }
    p.same(&["ACL", "LIST"]);
    p.same(&["ACL", "USERS"]);
    p.same(&["ACL", "GETUSER", "nosuch"]);
    p.same(&["ACL", "DELUSER", "default"]);
    p.same(&["ACL", "DELUSER", "alice", "nosuch", "bob"]);
    p.same(&["ACL", "USERS"]);
    p.same(&["ACL", "WHOAMI"]);
}

#[test]
fn setuser_errors() {
    let mut p = pair_or_skip!();
    let cases: &[&[&str]] = &[
        &["u", "+nosuch"],
        &["u", "+@nosuch"],
        &["u", "~*", "~x"],
        &["u", "&*", "&x"],
        &["u", "#abc"],
        &[
            "u",
            "#2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE",
        ],
        &["u", "<nope"],
        &[
            "u",
            "!2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        ],
        &["u", "+config|get|x"],
        &["u", "+config|"],
        &["u", "-select|0"],
        &["u", "%X~x"],
        &["u", "%RR~x"],
        &["u", "%~x"],
        &["u", "&a b"],
        &["u", "bogus"],
        &["u", "(~x*", "+get"],
        &["u", "(~x* +nosuch)"],
        &["a b", "on"],
    ];
    for c in cases {
        let mut args = vec!["ACL", "SETUSER"];
        args.extend_from_slice(c);
        p.same(&args);
    }
    // A failed SETUSER creates nothing.
    p.same(&["ACL", "USERS"]);
    p.same(&["ACL", "SETUSER", "u", "(~x*", "+get)", "on"]);
    p.same(&["ACL", "GETUSER", "u"]);
}

#[test]
fn cat_genpass_help_and_arity() {
    let mut p = pair_or_skip!();
    p.same(&["ACL", "CAT"]);
    p.same(&["ACL", "CAT", "nosuch"]);
    p.same(&["ACL", "CAT", "a", "b"]);
    p.same(&["ACL", "HELP"]);
    p.same(&["ACL"]);
    p.same(&["ACL", "FOO"]);
    p.same(&["ACL", "GETUSER"]);
    p.same(&["ACL", "GENPASS", "0"]);
    p.same(&["ACL", "GENPASS", "4097"]);
    p.same(&["ACL", "GENPASS", "x"]);
    p.same(&["ACL", "LOG", "x"]);
    p.same(&["ACL", "LOAD"]);
    p.same(&["ACL", "SAVE"]);
    // Random passwords: only the length is Redis's.
    let r = p.redis.cmd_args(&[b"ACL", b"GENPASS", b"5"]);
    let o = p.ours.cmd_args(&[b"ACL", b"GENPASS", b"5"]);
    assert_eq!(r.len(), o.len());
    assert!(o.starts_with(b"$2\r\n"));
}

#[test]
fn dryrun() {
    let mut p = pair_or_skip!();
    p.same(&[
        "ACL", "SETUSER", "alice", "on", "%R~r*", "%W~w*", "~k*", "&ch*", "+@all", "-hset",
    ]);
    p.same(&[
        "ACL",
        "SETUSER",
        "dave",
        "on",
        "(~x* +@string)",
        "(~y* +@hash)",
    ]);
    let cases: &[&[&str]] = &[
        &["alice", "get", "k1"],
        &["alice", "get", "r1"],
        &["alice", "get", "w1"],
        &["alice", "set", "w1", "v"],
        &["alice", "set", "r1", "v"],
        &["alice", "hset", "k1", "f", "v"],
        &["alice", "publish", "ch1", "m"],
        &["alice", "publish", "other", "m"],
        &["alice", "subscribe", "ch1", "other"],
        &["alice", "psubscribe", "ch*"],
        &["alice", "psubscribe", "ch1*"],
        &["alice", "mset", "k1", "v", "r1", "v"],
        &["alice", "copy", "r1", "w1"],
        &["alice", "copy", "w1", "r1"],
        &["alice", "get"],
        &["alice", "nosuch"],
        &["nobody", "get", "x"],
        &["dave", "set", "x1", "v"],
        &["dave", "set", "y1", "v"],
        &["dave", "hset", "y1", "f", "v"],
        &["dave", "hset", "x1", "f", "v"],
        &["dave", "config", "get", "x"],
    ];
    for c in cases {
        let mut args = vec!["ACL", "DRYRUN"];
        args.extend_from_slice(c);
        p.same(&args);
    }
}

#[test]
fn auth_and_noperm() {
    let mut p = pair_or_skip!();
    p.same(&["AUTH", "x"]);
    p.same(&[
        "ACL",
        "SETUSER",
        "alice",
        "on",
        ">pw",
        "~k*",
        "&ch*",
        "+@read",
        "+@connection",
        "+@transaction",
        "+publish",
        "+eval",
        "+acl|whoami",
    ]);
    p.same(&["ACL", "SETUSER", "off", "off", ">pw", "+@all"]);
    let (mut r, mut o) = p.second();
    same_on(&mut r, &mut o, &["AUTH", "alice", "nope"]);
    same_on(&mut r, &mut o, &["AUTH", "nosuch", "pw"]);
    same_on(&mut r, &mut o, &["AUTH", "off", "pw"]);
    same_on(&mut r, &mut o, &["AUTH", "alice", "pw"]);
    same_on(&mut r, &mut o, &["ACL", "WHOAMI"]);
    same_on(&mut r, &mut o, &["GET", "k1"]);
    same_on(&mut r, &mut o, &["GET", "x1"]);
    same_on(&mut r, &mut o, &["SET", "k1", "v"]);
    same_on(&mut r, &mut o, &["PUBLISH", "ch1", "m"]);
    same_on(&mut r, &mut o, &["PUBLISH", "x", "m"]);
    same_on(&mut r, &mut o, &["CONFIG", "GET", "port"]);
    // Inside MULTI a refusal is queued as an error and aborts EXEC.
    same_on(&mut r, &mut o, &["MULTI"]);
    same_on(&mut r, &mut o, &["GET", "x1"]);
    same_on(&mut r, &mut o, &["EXEC"]);
    // Scripts: redis.call checks the caller's user.
    same_on(
        &mut r,
        &mut o,
        &["EVAL", "return redis.call('get','x1')", "0"],
    );
    same_on(
        &mut r,
        &mut o,
        &["EVAL", "return redis.pcall('set','k1','v')", "0"],
    );
    same_on(
        &mut r,
        &mut o,
        &["EVAL", "return redis.acl_check_cmd('get','k1')", "0"],
    );
    same_on(
        &mut r,
        &mut o,
        &["EVAL", "return redis.acl_check_cmd('set','k1','v')", "0"],
    );
    same_on(
        &mut r,
        &mut o,
        &["EVAL", "return redis.acl_check_cmd('nosuch')", "0"],
    );
    // HELLO AUTH switches users too; RESET goes back to default.
    same_on(&mut r, &mut o, &["HELLO", "2", "AUTH", "alice", "bad"]);
    same_on(&mut r, &mut o, &["RESET"]);
    same_on(&mut r, &mut o, &["ACL", "WHOAMI"]);
    // The refusals were logged.
    let log_r = r.cmd_args(&[b"ACL", b"LOG"]);
    let log_o = o.cmd_args(&[b"ACL", b"LOG"]);
    assert_eq!(
        show(&log_o).lines().next(),
        show(&log_r).lines().next(),
        "ACL LOG length"
    );
    same_on(&mut r, &mut o, &["ACL", "LOG", "RESET"]);
    same_on(&mut r, &mut o, &["ACL", "LOG"]);
}

#[test]
fn requirepass_is_the_default_password() {
    let mut p = pair_or_skip!();
    p.same(&["CONFIG", "SET", "requirepass", "secret"]);
    p.same(&["ACL", "LIST"]);
    let (mut r, mut o) = p.second();
    same_on(&mut r, &mut o, &["GET", "x"]);
    same_on(&mut r, &mut o, &["ACL", "WHOAMI"]);
    same_on(&mut r, &mut o, &["AUTH", "wrong"]);
    same_on(&mut r, &mut o, &["AUTH", "secret"]);
    same_on(&mut r, &mut o, &["ACL", "WHOAMI"]);
    same_on(&mut r, &mut o, &["CONFIG", "SET", "requirepass", ""]);
    same_on(&mut r, &mut o, &["ACL", "LIST"]);
    same_on(&mut r, &mut o, &["AUTH", "x"]);
}

#[test]
fn deleted_user_connections_are_closed() {
    let mut p = pair_or_skip!();
    p.same(&["ACL", "SETUSER", "tmp", "on", "nopass", "+@all", "~*"]);
    let (mut r, mut o) = p.second();
    same_on(&mut r, &mut o, &["AUTH", "tmp", "x"]);
    same_on(&mut r, &mut o, &["CLIENT", "KILL", "USER", "nosuch"]);
    p.same(&["ACL", "DELUSER", "tmp"]);
    assert!(o.is_closed(), "the deleted user's connection stays open");
    assert!(r.is_closed());
}
