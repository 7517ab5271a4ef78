//! The real binary in its own process, for what only a process shows: a kill, a signal, a full
//! disk, a siege of connections.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use tg_sandbox::{Sandbox, SandboxConfig};

use crate::helpers::{ADMIN_TOKEN, eventually};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The binary's surroundings: a sandbox, a scratch folder with the config file, a database, and
/// a port for its HTTP server.
pub struct Setup {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    pub database: String,
    pub port: u16,
}

impl Setup {
    /// The database in the scratch folder, or on PostgreSQL when the tests run there.
    pub fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("kabar.db");
        let mut setup = Setup::with_database_at(dir, &database);
        if let Some(url) = crate::helpers::postgres_database() {
            setup.database = url;
        }
        setup
    }

    /// The SQLite database at `database` (on a disk the test controls, say).
    pub fn with_database_at(dir: tempfile::TempDir, database: &Path) -> Setup {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let database = format!("sqlite://{}", database.display());
        Setup { sandbox, dir, database, port: free_port() }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("kabar.toml")
    }

    /// Writes the config file: the sandbox, the database, the server, and `more` TOML.
    pub fn write_config(&self, more: &str) {
        self.write_config_at(&self.config(), self.port, more);
    }

    /// Writes a config file at `file` for an instance of its own on `port`, beside the first:
    /// the same sandbox and database.
    pub fn write_config_at(&self, file: &Path, port: u16, more: &str) {
        let text = format!(
            "[telegram]\ntoken = \"{}\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n\n[database]\nurl = \"{}\"\n\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\nadmin_token = \"{ADMIN_TOKEN}\"\n\n{more}\n",
            self.sandbox.token(),
            self.sandbox.api_url(),
            self.database,
        );
        std::fs::write(file, text).unwrap();
    }

    pub fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the binary and waits until it is healthy.
    pub async fn start(&self, http: &reqwest::Client) -> Child {
        let kabar = start_kabar(&self.config());
        let api = self.api();
        eventually("kabar becoming healthy", || async {
            http.get(format!("{api}/healthz")).send().await.is_ok_and(|r| r.status() == 200)
        })
        .await;
        kabar
    }

    /// Runs `kabar ARGS --config FILE` to its end.
    pub fn kabar(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_kabar")).args(args).arg("--config").arg(self.config()).output().unwrap()
    }
}

pub fn start_kabar(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kabar"))
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the kabar binary starts")
}

/// Stops a kabar process for good.
pub fn kill(mut kabar: Child) {
    kabar.kill().unwrap();
    kabar.wait().unwrap();
}
