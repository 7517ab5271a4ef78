//! A throwaway PostgreSQL server for kabar's tests and benchmarks.
//!
//! It runs the machine's own PostgreSQL (Debian's `postgresql` package, which `scripts/test`
//! installs when it is missing): `initdb` into a temporary directory, then `pg_ctl start` on a
//! free port of 127.0.0.1, with its socket in that directory too, so that servers of parallel
//! tests never meet. Nothing is downloaded. Dropping the server stops it and removes its files.
//!
//! PostgreSQL refuses to run as root; when the tests do (as CI does), the server runs as the
//! `postgres` user the package creates.
//!
//! ```no_run
//! let server = pg_harness::TestPostgres::start().expect("PostgreSQL starts");
//! let url = server.create_database("kabar").expect("a database");
//! assert!(url.starts_with("postgres://"));
//! ```

use std::{
    fmt, fs,
    net::{Ipv4Addr, TcpListener},
    os::unix::{fs::chown, process::CommandExt},
    path::PathBuf,
    process::{Command, Output, Stdio},
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

/// The user PostgreSQL runs as when the tests run as root.
const SERVICE_USER: &str = "postgres";
/// Where Debian installs each major version's programs.
const DEBIAN_PREFIX: &str = "/usr/lib/postgresql";

/// Why a server could not be started or used.
#[derive(Debug)]
pub struct HarnessError(String);

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

type Result<T> = std::result::Result<T, HarnessError>;

fn fail(what: &str, error: impl fmt::Display) -> HarnessError {
    HarnessError(format!("{what}: {error}"))
}

/// A running PostgreSQL server of its own; stopped and removed when dropped.
pub struct TestPostgres {
    programs: PathBuf,
    /// Who runs the server's programs: None for the current user.
    owner: Option<(u32, u32)>,
    data: PathBuf,
    port: u16,
    /// Holds the data directory, the socket and the log; removed last.
    _dir: tempfile::TempDir,
}

impl TestPostgres {
    /// Initialises a cluster in a new temporary directory and starts it.
    pub fn start() -> Result<TestPostgres> {
        let programs = programs_directory()?;
        let owner = if is_root() { Some(service_user()?) } else { None };
        let dir =
            tempfile::Builder::new().prefix("kabar-pg-").tempdir().map_err(|e| fail("a temporary directory", e))?;
        if let Some((uid, gid)) = owner {
            chown(dir.path(), Some(uid), Some(gid)).map_err(|e| fail("handing the directory to postgres", e))?;
        }
        let data = dir.path().join("data");
        let server = TestPostgres { programs, owner, data, port: free_port()?, _dir: dir };
        server.run(
            "initdb",
            &["--no-sync", "--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C", "-D"],
            &[server.data.as_os_str()],
        )?;
        server.start_server()?;
        Ok(server)
    }

    /// One server for the whole test process, started on first use. A process cannot drop what
    /// a static holds, so a watchdog of its own (outside the process group, so that an
    /// interrupted run does not take it down first) stops the server and removes its files once
    /// the process is gone, however it ends.
    pub fn shared() -> Result<&'static TestPostgres> {
        static SHARED: OnceLock<std::result::Result<TestPostgres, String>> = OnceLock::new();
        let server = SHARED.get_or_init(|| {
            let server = TestPostgres::start().map_err(|error| error.0)?;
            server.watch_for_the_end_of(std::process::id()).map_err(|error| error.0)?;
            Ok(server)
        });
        server.as_ref().map_err(|error| HarnessError(error.clone()))
    }

    /// A new, empty database of its own, named `prefix` and a number; returns its URL.
    pub fn fresh_database(&self, prefix: &str) -> Result<String> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        self.create_database(&name)
    }

    fn watch_for_the_end_of(&self, pid: u32) -> Result<()> {
        let dir = self.data.parent().expect("the data directory has a parent");
        let script = format!(
            "while [ -d /proc/{pid} ]; do sleep 1; done; {pg_ctl} stop -m immediate -w -D {data} >/dev/null 2>&1; \
             rm -rf {dir}",
            pg_ctl = self.programs.join("pg_ctl").display(),
            data = self.data.display(),
            dir = dir.display(),
        );
        let mut command = Command::new("sh");
        command.args(["-c", &script]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command.process_group(0).current_dir(dir);
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command.spawn().map(drop).map_err(|e| fail("starting the server's watchdog", e))
    }

    /// The port the server listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` on this server, for the `postgres` superuser.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        let port = self.port.to_string();
        self.run("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name], &[])?;
        Ok(self.url(name))
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`): what was
    /// committed survives, as the WAL is replayed at the next start.
    pub fn kill(&self) -> Result<()> {
        self.run("pg_ctl", &["stop", "-m", "immediate", "-w", "-D"], &[self.data.as_os_str()])
    }

    /// Starts the server again on the same port after [`TestPostgres::kill`].
    pub fn restart(&self) -> Result<()> {
        self.start_server()
    }

    fn start_server(&self) -> Result<()> {
        let socket_dir = self.data.parent().expect("the data directory has a parent");
        // fsync off: a test server loses nothing to a crash of the process, which is what the
        // tests kill; only a power cut, which they do not make, needs it.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c fsync=off -c max_connections=200",
            self.port,
            socket_dir.display()
        );
        let log = socket_dir.join("server.log");
        self.run(
            "pg_ctl",
            &["start", "-w", "-t", "60", "-o", &options, "-l"],
            &[log.as_os_str(), "-D".as_ref(), self.data.as_os_str()],
        )
        .map_err(|error| {
            HarnessError(format!("{error}\nserver log:\n{}", fs::read_to_string(&log).unwrap_or_default()))
        })
    }

    /// Runs one of PostgreSQL's programs as the server's owner; an error with its output when it
    /// fails.
    fn run(&self, program: &str, args: &[&str], paths: &[&std::ffi::OsStr]) -> Result<()> {
        let mut command = Command::new(self.programs.join(program));
        command.args(args).args(paths).env("LC_ALL", "C");
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid).current_dir(self.data.parent().expect("the data directory has a parent"));
        }
        let output = command.output().map_err(|e| fail(&format!("running {program}"), e))?;
        check(program, &output)
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = self.kill();
        }
    }
}

fn check(program: &str, output: &Output) -> Result<()> {
    if output.status.success() {
        return Ok(());
    }
    Err(HarnessError(format!(
        "{program} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

/// The directory holding `initdb` and `pg_ctl`: `KABAR_PG_BIN` when set, else Debian's newest
/// version, else wherever `PATH` finds `pg_ctl`.
fn programs_directory() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KABAR_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let newest_debian = fs::read_dir(DEBIAN_PREFIX)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse::<u32>().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin)| bin.join("pg_ctl").exists())
        .max_by_key(|(version, _)| *version)
        .map(|(_, bin)| bin);
    let on_path = || {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path).find(|dir| dir.join("pg_ctl").exists() && dir.join("initdb").exists())
        })
    };
    newest_debian.or_else(on_path).ok_or_else(|| {
        HarnessError(
            "PostgreSQL's programs (initdb, pg_ctl) are not installed: run scripts/test, which installs Debian's \
             `postgresql` package, or set KABAR_PG_BIN"
                .into(),
        )
    })
}

fn is_root() -> bool {
    // The owner of this process's /proc entry is its user, without a call into libc.
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").map(|meta| meta.uid() == 0).unwrap_or(false)
}

/// The uid and gid of the `postgres` user, from /etc/passwd.
fn service_user() -> Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(|e| fail("reading /etc/passwd", e))?;
    user_in_passwd(&passwd, SERVICE_USER).ok_or_else(|| {
        HarnessError(format!(
            "the tests run as root and PostgreSQL will not; there is no `{SERVICE_USER}` user to run it as \
             (Debian's postgresql package creates one)"
        ))
    })
}

fn user_in_passwd(passwd: &str, user: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == user).then_some(())?;
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// A port nobody listens on now. Another process could take it before the server does; the
/// window is a few milliseconds, and the start fails clearly if it happens.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| fail("finding a free port", e))?;
    listener.local_addr().map(|address| address.port()).map_err(|e| fail("finding a free port", e))
}

/// Whether PostgreSQL's programs are on this machine, for tests that say why they cannot run.
pub fn is_installed() -> bool {
    programs_directory().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_user_is_read_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL administrator:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(user_in_passwd(passwd, "postgres"), Some((101, 104)));
        assert_eq!(user_in_passwd(passwd, "nobody"), None);
    }

    #[test]
    fn a_server_starts_takes_a_database_survives_a_kill_and_is_gone_when_dropped() {
        let server = TestPostgres::start().expect("PostgreSQL starts");
        let url = server.create_database("kabar_test").expect("createdb");
        assert_eq!(url, format!("postgres://postgres@127.0.0.1:{}/kabar_test", server.port()));
        let data = server.data.clone();
        server.kill().expect("an immediate stop");
        server.restart().expect("a restart on the same port");
        server.create_database("second").expect("the restarted server answers");
        drop(server);
        assert!(!data.exists(), "the cluster's files are removed");
    }

    #[test]
    fn the_shared_server_gives_each_caller_a_database_of_its_own() {
        let server = TestPostgres::shared().expect("PostgreSQL starts");
        let first = server.fresh_database("t").expect("createdb");
        let second = server.fresh_database("t").expect("createdb");
        assert_ne!(first, second);
        assert!(std::ptr::eq(server, TestPostgres::shared().unwrap()), "one server per process");
    }
}
