pub struct Application;
impl Application {
    pub async fn build(_: crate::config::Settings) -> anyhow::Result<Self> { todo!() }
    pub fn http_addr(&self) -> std::net::SocketAddr { todo!() }
    pub async fn run_until_stopped(self, _: impl std::future::Future<Output = ()>) -> anyhow::Result<()> { todo!() }
}
