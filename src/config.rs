//! TEMPORARY config shim (replaced by the full registry).
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub databases: usize,
    pub hz: u32,
    pub loglevel: String,
    pub logfile: String,
    pub timeout: u64,
    pub maxclients: u64,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    pub enable_debug_command: String,
    pub requirepass: String,
    pub tcp_backlog: u32,
    pub lazyfree_lazy_expire: bool,
    pub lfu_log_factor: u64,
    pub lfu_decay_time: u64,
    pub repl_backlog_size: u64,
}
impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            protected_mode: true,
            databases: 16,
            hz: 10,
            loglevel: "notice".into(),
            logfile: String::new(),
            timeout: 0,
            maxclients: 10000,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            active_expire_effort: 1,
            activerehashing: true,
            enable_debug_command: "no".into(),
            requirepass: String::new(),
            tcp_backlog: 511,
            lazyfree_lazy_expire: false,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            repl_backlog_size: 1024 * 1024,
        }
    }
}
impl Config {
    pub fn loglevel_name(&self) -> String {
        self.loglevel.clone()
    }
}
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let s = String::from_utf8_lossy(line);
    if s.matches('"').count() % 2 == 1 {
        return None;
    }
    Some(s.split_whitespace().map(|x| x.trim_matches('"').as_bytes().to_vec()).collect())
}
pub fn build_options_from_argv(args: &[String]) -> Result<(Option<String>, String), String> {
    let mut s = String::new();
    for a in args {
        if let Some(n) = a.strip_prefix("--") {
            s.push('\n');
            s.push_str(n);
        } else {
            s.push_str(" \"");
            s.push_str(a);
            s.push('"');
        }
    }
    Ok((None, s))
}
pub fn load_server_config(_f: Option<&str>, options: &str) -> Result<Config, String> {
    let mut c = Config::default();
    for line in options.lines() {
        let a = match split_args(line.as_bytes()) { Some(a) => a, None => continue };
        if a.is_empty() { continue; }
        let k = String::from_utf8_lossy(&a[0]).to_string();
        let v = a.get(1).map(|v| String::from_utf8_lossy(v).to_string()).unwrap_or_default();
        match k.as_str() {
            "port" => c.port = v.parse().map_err(|_| "bad".to_string())?,
            "hz" => c.hz = v.parse().unwrap_or(10),
            "enable-debug-command" => c.enable_debug_command = v,
            "loglevel" => c.loglevel = v,
            "save" | "appendonly" | "daemonize" => {}
            _ => return Err(format!("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n>>> '{}'\nBad directive or wrong number of arguments", k)),
        }
    }
    Ok(c)
}
