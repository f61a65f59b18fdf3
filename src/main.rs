//! The `ferrodis` binary: redis-server compatible command line
//! (`ferrodis [/path/to/redis.conf] [--directive value ...]`), logging,
//! then the event loop. Mirrors `main()` in Redis's `server.c`.

use std::io::Write;

use ferrodis::config;
use ferrodis::event_loop::EventLoop;
use ferrodis::server::{Server, FERRODIS_VERSION, REDIS_VERSION};

#[global_allocator]
static GLOBAL: ferrodis::alloc::CountingAlloc = ferrodis::alloc::CountingAlloc;

const USAGE: &str = "Usage: ./ferrodis [/path/to/redis.conf] [options] [-]
       ./ferrodis - (read config from stdin)
       ./ferrodis -v or --version
       ./ferrodis -h or --help

Examples:
       ./ferrodis (run the server with default conf)
       echo 'maxmemory 128mb' | ./ferrodis -
       ./ferrodis /etc/redis/6379.conf
       ./ferrodis --port 7777
       ./ferrodis --port 7777 --replicaof 127.0.0.1 8888
       ./ferrodis /etc/myredis.conf --loglevel verbose -
       ./ferrodis /etc/myredis.conf --loglevel verbose
";

fn version_line() -> String {
    format!(
        "Redis server v={} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ferrodis-{}",
        REDIS_VERSION, FERRODIS_VERSION
    )
}

/// Days since the epoch to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Redis's log timestamp: `21 Nov 2026 05:09:52.123` (UTC).
fn log_time() -> String {
    let ms = ferrodis::server::now_ms();
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let sod = secs.rem_euclid(86400);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

/// Configure the `log` facade to print Redis-style lines
/// (`pid:role date symbol message`) at the configured verbosity.
fn init_logging(loglevel: &str, logfile: &str) {
    let filter = match loglevel {
        "debug" => log::LevelFilter::Trace,
        "verbose" => log::LevelFilter::Debug,
        "notice" => log::LevelFilter::Info,
        "warning" => log::LevelFilter::Warn,
        "nothing" => log::LevelFilter::Off,
        _ => log::LevelFilter::Info,
    };
    let mut b = env_logger::Builder::new();
    b.filter_level(filter);
    b.format(|buf, rec| {
        if rec.target() == RAW_LOG {
            return write!(buf, "{}", rec.args());
        }
        // Redis logs from its signal handlers without the role and the
        // millisecond date (`serverLogFromHandler`).
        if rec.target() == ferrodis::server::SIGNAL_HANDLER_LOG {
            let secs = ferrodis::server::now_ms() / 1000;
            return writeln!(
                buf,
                "{}:signal-handler ({}) {}",
                std::process::id(),
                secs,
                rec.args()
            );
        }
        let sym = match rec.level() {
            log::Level::Trace => '.',
            log::Level::Debug => '-',
            log::Level::Info => '*',
            _ => '#',
        };
        writeln!(
            buf,
            "{}:{} {} {} {}",
            std::process::id(),
            ferrodis::server::log_role(),
            log_time(),
            sym,
            rec.args()
        )
    });
    if !logfile.is_empty() {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
        {
            Ok(f) => {
                b.target(env_logger::Target::Pipe(Box::new(f)));
            }
            Err(e) => {
                eprintln!("Can't open the log file: {}", e);
                std::process::exit(1);
            }
        }
    } else {
        b.target(env_logger::Target::Stdout);
    }
    let _ = b.try_init();
}

/// Set in the environment of the background copy started by `daemonize`.
const DAEMON_ENV: &str = "FERRODIS_DAEMONIZED";

/// `daemonize yes`: start a detached copy of this process (same arguments,
/// stdio on /dev/null, its own process group) and exit, which is what
/// Redis's fork()+setsid() achieves, without unsafe code.
fn daemonize(args: &[String], config_file: Option<&str>) {
    if config_file == Some("-") || args.iter().any(|a| a == "-") {
        eprintln!(
            "Can't daemonize when the configuration is read from stdin; running in the foreground."
        );
        return;
    }
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Can't daemonize: {}", e);
            std::process::exit(1);
        }
    };
    let spawned = std::process::Command::new(exe)
        .args(args)
        .env(DAEMON_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
    match spawned {
        Ok(_) => std::process::exit(0),
        Err(e) => {
            eprintln!("Can't daemonize: {}", e);
            std::process::exit(1);
        }
    }
}

/// Redis's start-up logo, with the version, mode, port and pid
/// (`redisAsciiArt`). Shown when logging to a terminal or with
/// `always-show-logo yes`; otherwise one line says the mode and port.
/// Tools (Redis's own test suite among them) find the server's pid in it.
fn redis_ascii_art(srv: &Server) {
    use std::io::IsTerminal;
    let show = (srv.config.logfile.is_empty() && std::io::stdout().is_terminal())
        || srv.config.always_show_logo;
    if !show {
        log::info!("Running mode=standalone, port={}.", srv.port);
        return;
    }
    let logo = format!(
        concat!(
            "                _._                                                  \n",
            "           _.-``__ ''-._                                             \n",
            "      _.-``    `.  `_.  ''-._           Redis {} (00000000/0) 64 bit\n",
            "  .-`` .-```.  ```\\/    _.,_ ''-._                                  \n",
            " (    '      ,       .-`  | `,    )     Running in standalone mode\n",
            " |`-._`-...-` __...-.``-._|'` _.-'|     Port: {}\n",
            " |    `-._   `._    /     _.-'    |     PID: {}\n",
            "  `-._    `-._  `-./  _.-'    _.-'                                   \n",
            " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
            " |    `-._`-._        _.-'_.-'    |           https://redis.io       \n",
            "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
            " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
            " |    `-._`-._        _.-'_.-'    |                                  \n",
            "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
            "      `-._    `-.__.-'    _.-'                                       \n",
            "          `-._        _.-'                                           \n",
            "              `-.__.-'                                               \n\n"
        ),
        REDIS_VERSION,
        srv.port,
        std::process::id()
    );
    log::info!(target: RAW_LOG, "{}", logo);
}

/// The `log` target of lines written as they are, without the
/// `pid:role date symbol` prefix (Redis's `LL_RAW`).
const RAW_LOG: &str = "raw";

/// Redis's `linuxMemoryWarnings` (the overcommit part): a forked child
/// saving a big dataset may be refused memory it would never touch when
/// the kernel does not overcommit.
fn linux_memory_warnings() {
    let Ok(text) = std::fs::read_to_string("/proc/sys/vm/overcommit_memory") else {
        return;
    };
    if text.trim() == "0" {
        log::warn!("WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // clap handles the fixed flags; everything else is redis-server's
    // `[config-file] [--directive value ...]` form, passed through verbatim.
    let cli = clap::Command::new("ferrodis")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue),
        )
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::SetTrue),
        )
        .arg(
            clap::Arg::new("rest")
                .num_args(0..)
                .allow_hyphen_values(true)
                .trailing_var_arg(true),
        );
    let first_is_flag = matches!(
        args.first().map(|s| s.as_str()),
        Some("-v" | "--version" | "-h" | "--help")
    );
    if first_is_flag {
        let m = cli.get_matches_from(
            std::iter::once("ferrodis".to_string()).chain(args.iter().take(1).cloned()),
        );
        if m.get_flag("version") {
            println!("{}", version_line());
            return;
        }
        if m.get_flag("help") {
            eprint!("{}", USAGE);
            return;
        }
    }

    let (config_file, options) = match config::build_options_from_argv(&args) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{}", e);
            std::process::exit(1);
        }
    };
    let cfg = match config::load_server_config(config_file.as_deref(), &options) {
        Ok(c) => c,
        Err(e @ config::ConfigError::Open { .. }) => {
            init_logging("notice", "");
            log::warn!("{}", e);
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{}", e);
            std::process::exit(1);
        }
    };
    if cfg.daemonize && std::env::var_os(DAEMON_ENV).is_none() {
        daemonize(&args, config_file.as_deref());
    }
    let daemonized = std::env::var_os(DAEMON_ENV).is_some();
    init_logging(&cfg.loglevel_name(), &cfg.logfile);
    log::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::warn!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started (ferrodis {})",
        REDIS_VERSION,
        std::process::id(),
        FERRODIS_VERSION
    );
    if args.is_empty() {
        log::warn!("Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf", std::env::args().next().unwrap_or_default());
    } else {
        log::warn!("Configuration loaded");
    }
    for w in &cfg.load_warnings {
        log::warn!("{}", w);
    }
    ferrodis::server::set_log_role(if cfg.replicaof.is_some() { b'S' } else { b'M' });

    let mut srv = Server::new(cfg);
    ferrodis::alloc::set_background_thread(srv.config.jemalloc_bg_thread);
    if let Err(e) = ferrodis::commands::acl_cmd::load_users_at_startup(&mut srv) {
        for line in e.lines() {
            log::error!("{line}");
        }
        std::process::exit(1);
    }
    srv.config_file = config_file.map(|f| {
        std::fs::canonicalize(&f)
            .map(|p| p.display().to_string())
            .unwrap_or(f)
    });
    let mut el = match EventLoop::new(&mut srv) {
        Ok(el) => el,
        Err(_) => std::process::exit(1),
    };
    // Like Redis: a pid file when one is configured, or the default one
    // when running as a daemon.
    let pidfile = srv
        .config
        .pidfile
        .clone()
        .or_else(|| daemonized.then(|| "/var/run/redis.pid".to_string()));
    if let Some(p) = &pidfile {
        if let Err(e) = std::fs::write(p, format!("{}\n", std::process::id())) {
            log::warn!("Failed to write PID file: {}", e);
        }
    }
    log::info!("monotonic clock: POSIX clock_gettime");
    redis_ascii_art(&srv);
    ferrodis::event_loop::check_tcp_backlog(srv.config.tcp_backlog);
    log::warn!("Server initialized");
    linux_memory_warnings();
    // Load the dataset (`loadDataFromDisk`): the AOF with `appendonly
    // yes`, the RDB file otherwise. A missing file is fine, a corrupt one
    // stops the start-up.
    if let Err(e) = ferrodis::aof::load_at_startup(&mut srv) {
        log::warn!("{}", e);
        if srv.config.appendonly {
            log::warn!("Terminating server after append only file reading failure.");
        } else {
            log::warn!("Terminating server after rdb file reading failure.");
        }
        std::process::exit(1);
    }
    srv.startup_memory = ferrodis::alloc::used_memory();
    log::info!("Ready to accept connections");
    // `replicaof host port` in the configuration: start replicating.
    if let Some((host, port)) = srv.config.replicaof.clone() {
        ferrodis::replication::set_master(&mut srv, host, port);
    }
    let code = el.run(&mut srv);
    if let Some(p) = &pidfile {
        let _ = std::fs::remove_file(p);
    }
    std::process::exit(code);
}
