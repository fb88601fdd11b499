// The page of the live widget test, bundled by esbuild at test time (never committed): the
// ipywidgets 8 front end (@jupyter-widgets/html-manager) connected to a kernel through a Jupyter
// server by @jupyterlab/services, as ipywidgets' own examples/web3 does. The test drives it
// through window.seqlab: start a kernel, run a cell, and see its widgets drawn below.
import { KernelManager, ServerConnection } from "@jupyterlab/services";
import { HTMLManager } from "@jupyter-widgets/html-manager";
import * as base from "@jupyter-widgets/base";
import "@jupyter-widgets/controls/css/widgets.css";
import "@lumino/widgets/style/index.css";

const VIEW = "application/vnd.jupyter.widget-view+json";

class WidgetManager extends HTMLManager {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    kernel.registerCommTarget(this.comm_target_name, async (comm, msg) => {
      await this.handle_comm_open(new base.shims.services.Comm(comm), msg);
    });
  }

  async _create_comm(target_name, model_id, data, metadata) {
    const comm = this.kernel.createComm(target_name, model_id);
    if (data || metadata) comm.open(data, metadata);
    return new base.shims.services.Comm(comm);
  }

  _get_comm_info() {
    return this.kernel.requestCommInfo({ target_name: this.comm_target_name }).then((reply) => reply.content.comms);
  }
}

window.seqlab = {
  async start(baseUrl, token) {
    const settings = ServerConnection.makeSettings({ baseUrl, wsUrl: baseUrl.replace(/^http/, "ws"), token });
    const kernels = new KernelManager({ serverSettings: settings });
    this.kernel = await kernels.startNew({ name: "seqlab" });
    this.manager = new WidgetManager(this.kernel);
    return this.kernel.name;
  },

  /** Run a cell; its widgets are drawn in a new area with the given id. Resolves with its status and errors. */
  async run(code, id) {
    const area = document.createElement("div");
    area.id = id;
    area.className = "cell-output";
    document.body.appendChild(area);
    const future = this.kernel.requestExecute({ code });
    const views = [];
    const errors = [];
    let result;
    future.onIOPub = (msg) => {
      const type = msg.header.msg_type;
      const data = msg.content.data;
      if ((type === "display_data" || type === "execute_result") && data && data[VIEW]) {
        const host = document.createElement("div");
        host.className = "widget-host";
        area.appendChild(host);
        views.push(
          (async () => {
            const model = await this.manager.get_model(data[VIEW].model_id);
            await this.manager.display_view(await this.manager.create_view(model), host);
          })(),
        );
      } else if (type === "execute_result") result = data["text/plain"];
      else if (type === "error") errors.push(`${msg.content.ename}: ${msg.content.evalue}`);
    };
    const reply = await future.done;
    await Promise.all(views);
    return { status: reply.content.status, result, errors, error: reply.content.status === "ok" ? undefined : `${reply.content.ename}: ${reply.content.evalue}` };
  },

  async stop() {
    await this.kernel?.shutdown();
  },
};
document.body.dataset.ready = "yes";
