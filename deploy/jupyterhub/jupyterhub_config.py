# JupyterHub for a seqlab class, as tested here (`npm test -- hub`): Debian 12's JupyterHub 3.0 with
# its configurable-http-proxy, on 127.0.0.1, with JupyterHub's DummyAuthenticator and
# SimpleLocalProcessSpawner, which are for trying it out on one machine: any name logs in (with
# SEQLAB_HUB_PASSWORD when set), and every server runs as the hub's own user with its home in
# SEQLAB_HUB_HOMES/NAME. For a real class keep the seqlab part (configure_seqlab) and choose a
# real authenticator and spawner: README.md, "Classrooms", shows both.
#
#   apt-get install jupyterhub                       # Debian 12: 3.0 + node-configurable-http-proxy
#   npm install -g seqlab
#   seqlab install --sys-prefix --no-snapshot         # the kernel, for every user
#   SEQLAB_DATA=/srv/seqlab/corpora ...               # the shared corpus cache, filled once
#   jupyterhub -f deploy/jupyterhub/jupyterhub_config.py
#
# Settings from the environment (besides those of seqlab_hub.py):
#   SEQLAB_HUB_IP (127.0.0.1), SEQLAB_HUB_PORT (8000): where students connect (the proxy)
#   SEQLAB_HUB_API_PORT (8081), SEQLAB_PROXY_API_PORT (8001): the hub's and the proxy's own ports
#   SEQLAB_HUB_HOMES (/tmp/seqlab-hub): the users' homes for SimpleLocalProcessSpawner
#   SEQLAB_HUB_PASSWORD: the one password DummyAuthenticator accepts (default: none asked)
#   SEQLAB_HUB_STATE (the current folder): the hub's database and cookie secret
#   SEQLAB_HUB_ADMINS ("teacher"): comma-separated admin names
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seqlab_hub import configure_seqlab  # noqa: E402

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)

ip = os.environ.get("SEQLAB_HUB_IP", "127.0.0.1")
c.JupyterHub.bind_url = f"http://{ip}:{os.environ.get('SEQLAB_HUB_PORT', '8000')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('SEQLAB_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('SEQLAB_PROXY_API_PORT', '8001')}"

state = os.environ.get("SEQLAB_HUB_STATE", os.getcwd())
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")

c.JupyterHub.authenticator_class = "dummy"
if os.environ.get("SEQLAB_HUB_PASSWORD"):
    c.DummyAuthenticator.password = os.environ["SEQLAB_HUB_PASSWORD"]
c.Authenticator.admin_users = set(filter(None, os.environ.get("SEQLAB_HUB_ADMINS", "teacher").split(",")))

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(os.environ.get("SEQLAB_HUB_HOMES", "/tmp/seqlab-hub"), "{username}")
if os.getuid() == 0:
    # SimpleLocalProcessSpawner runs every server as the hub's user; the notebook server refuses root unless told.
    c.Spawner.args = ["--allow-root"]
# Starting many servers at once on a small machine is slow: wait for them.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180

configure_seqlab(c)
