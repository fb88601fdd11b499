"""seqlab for a class on JupyterHub: what every configuration here shares.

    from seqlab_hub import configure_seqlab
    configure_seqlab(c)

- every user's server offers the kernel "TypeScript (seqlab)": the kernelspec is installed once,
  for all users, by `seqlab install --sys-prefix` (Debian's python: /usr/share/jupyter/kernels), or
  `seqlab install --prefix DIR` with SEQLAB_KERNEL_PREFIX=DIR here (put on the servers' JUPYTER_PATH);
- the course is copied into each user's home before their server starts (`seqlab course
  ~/seqlab-course`, run as that user; it never overwrites a notebook the student changed, and
  brings unchanged ones up to date after a seqlab upgrade);
- corpora come from one shared, read-only cache (SEQLAB_DATA), filled once by the teacher;
- kernels start without the start-up snapshot (SEQLAB_SNAPSHOT=off): it saves about a second per
  kernel start but holds about 100 MB more per kernel (README, "Classrooms");
- idle kernels are shut down after an hour (a forgotten notebook holds its model and tfjs's heap).

Settings, from the environment of the hub (all optional):
  SEQLAB_COMMAND       how to run seqlab (default: `seqlab` on PATH), e.g. "node /opt/seqlab/dist/kernel/tools/cli.js"
  SEQLAB_DATA          the shared corpus cache (default /srv/seqlab/corpora)
  SEQLAB_KERNEL_PREFIX the prefix given to `seqlab install --prefix` (default: none, i.e. --sys-prefix)
  SEQLAB_COURSE_DIR    the course's folder inside each home (default seqlab-course)
  SEQLAB_KERNEL_CULL   seconds before an idle kernel is shut down (default 3600; 0: never)
  SEQLAB_QUICK, SEQLAB_BACKEND  passed on to every kernel when set (quick mode; a forced backend)
"""
import os
import pwd
import shlex
import shutil
import subprocess


def seqlab_command():
    """The seqlab command line as a list, or raise naming what to set."""
    cmd = os.environ.get("SEQLAB_COMMAND")
    if cmd:
        return shlex.split(cmd)
    found = shutil.which("seqlab")
    if not found:
        raise RuntimeError("seqlab is not on the hub's PATH: npm install -g seqlab, or set SEQLAB_COMMAND")
    return [found]


def user_home(spawner):
    """The home a spawner gives its user: its own idea of it (SimpleLocalProcessSpawner), else the system's."""
    home = getattr(spawner, "home_dir", None)
    if home:
        return home
    return pwd.getpwnam(spawner.user.name).pw_dir


def copy_course(spawner):
    """pre_spawn_hook: `seqlab course HOME/COURSE_DIR` as the user, before their server starts."""
    home = user_home(spawner)
    target = os.path.join(home, os.environ.get("SEQLAB_COURSE_DIR", "seqlab-course"))
    run_as = {}
    if os.getuid() == 0 and not hasattr(spawner, "home_dir_template"):
        # LocalProcessSpawner and its kin run each server as the system user: so does the copy,
        # so that the student owns their notebooks.
        pw = pwd.getpwnam(spawner.user.name)
        run_as = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": os.getgrouplist(pw.pw_name, pw.pw_gid)}
    os.makedirs(home, exist_ok=True)
    env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": os.environ.get("LANG", "C.UTF-8")}
    r = subprocess.run([*seqlab_command(), "course", target], env=env, cwd=home, capture_output=True, text=True, timeout=120, **run_as)
    for line in (r.stdout + r.stderr).strip().splitlines():
        spawner.log.info("seqlab course for %s: %s", spawner.user.name, line)
    if r.returncode != 0:
        # The server still starts (the student keeps what they have); the log names the problem.
        spawner.log.error("seqlab course for %s failed (exit %s): %s", spawner.user.name, r.returncode, r.stderr.strip())


def configure_seqlab(c):
    data = os.environ.get("SEQLAB_DATA", "/srv/seqlab/corpora")
    cull = os.environ.get("SEQLAB_KERNEL_CULL", "3600")
    env = {
        "SEQLAB_DATA": data,
        "SEQLAB_SNAPSHOT": "off",
    }
    # The course's quick mode (a demonstration, a class on a small machine) and a forced backend
    # reach the kernels when the hub is started with them.
    for key in ("SEQLAB_QUICK", "SEQLAB_BACKEND"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    prefix = os.environ.get("SEQLAB_KERNEL_PREFIX")
    if prefix:
        env["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
    c.Spawner.environment.update(env)
    c.Spawner.pre_spawn_hook = copy_course
    c.Spawner.default_url = "/tree/" + os.environ.get("SEQLAB_COURSE_DIR", "seqlab-course")
    if cull != "0":
        c.Spawner.args = [
            *c.Spawner.args,
            f"--MappingKernelManager.cull_idle_timeout={int(cull)}",
            "--MappingKernelManager.cull_interval=300",
        ]
    # Debian's configurable-http-proxy finds its modules only through Debian's node; a node from
    # elsewhere (seqlab needs Node 20, Debian 12 ships 18) needs them named.
    if os.path.isdir("/usr/share/nodejs/configurable-http-proxy"):
        c.ConfigurableHTTPProxy.command = ["/usr/bin/env", "NODE_PATH=/usr/share/nodejs", "configurable-http-proxy"]
