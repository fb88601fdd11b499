// A page with JupyterLab 4's own output rendering: @jupyterlab/rendermime's standard renderers
// (HTML through JupyterLab's sanitizer when untrusted), @jupyterlab/outputarea's OutputArea and
// @jupyterlab/vega5-extension (vega-lite v5), ranked as JupyterLab ranks them, with JupyterLab's
// light theme variables and output styles. Bundled by test/lab/bundle.ts with esbuild when the
// suite runs; test/lab/lab.test.ts drives it through window.lab.
//
// Plain JavaScript: tsc compiles the project for Node without DOM types; esbuild reads this file.
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import { RenderMimeRegistry, standardRendererFactories } from '@jupyterlab/rendermime';
import vegaExtension from '@jupyterlab/vega5-extension';
import { Widget } from '@lumino/widgets';
import { marked } from 'marked';
import '@jupyterlab/theme-light-extension/style/variables.css';
import '@jupyterlab/outputarea/style/index.js';

// JupyterLab's markdown parser is marked with GFM (@jupyterlab/markedparser-extension, which also
// pulls in CodeMirror and Mermaid for code blocks; output markdown here has neither).
const markdownParser = { render: async (source) => marked.parse(source, { gfm: true }) };

/** Promises of every renderModel call, so a caller can wait until all outputs have rendered. */
const renders = [];

function registry() {
  const rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories, markdownParser });
  // A mime extension's renderer goes in at the extension's rank (57 for vega: after HTML, before markdown and images).
  rendermime.addFactory(vegaExtension.rendererFactory, vegaExtension.rank);
  const create = rendermime.createRenderer.bind(rendermime);
  rendermime.createRenderer = (mimeType) => {
    const renderer = create(mimeType);
    renderer.node.dataset.labMime = mimeType;
    const renderModel = renderer.renderModel.bind(renderer);
    renderer.renderModel = (model) => {
      const p = renderModel(model);
      renders.push(p.then(() => undefined, (e) => console.error(`renderModel(${mimeType}) failed: ${e && e.stack ? e.stack : e}`)));
      return p;
    };
    return renderer;
  };
  return rendermime;
}

const rendermime = registry();

/** Wait until every render started so far (and any it started) has finished. */
async function settle() {
  for (let seen = -1; seen !== renders.length; ) {
    seen = renders.length;
    await Promise.all(renders.slice());
  }
}

/** As the Jupyter server loads a notebook: multiline strings stored as lists of lines are joined. */
function joinOutput(o) {
  const join = (v) => (Array.isArray(v) ? v.join('') : v);
  const out = { ...o };
  if ('text' in out) out.text = join(out.text);
  if (out.data) {
    out.data = Object.fromEntries(Object.entries(out.data).map(([k, v]) => [k, /json$/.test(k) ? v : join(v)]));
  }
  return out;
}

function cellBox(host, label) {
  const div = document.createElement('div');
  div.className = 'lab-cell';
  div.dataset.cell = String(label);
  host.appendChild(div);
  return div;
}

const areas = new Map(); // "scope/cell" → OutputArea

/** Render each code cell's stored outputs in its own OutputArea (as a notebook opened from disk). */
async function renderNotebook(nb, { trusted, scope = 'final' }) {
  const host = document.createElement('section');
  host.dataset.scope = scope;
  document.body.appendChild(host);
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code' || !(cell.outputs || []).length) return;
    const model = new OutputAreaModel({ trusted });
    model.fromJSON(cell.outputs.map(joinOutput));
    const area = new OutputArea({ model, rendermime });
    Widget.attach(area, cellBox(host, i));
    areas.set(`${scope}/${i}`, area);
  });
  await settle();
}

/**
 * Replay recorded iopub messages into OutputAreas through a stand-in for the kernel future, so that
 * JupyterLab's own handling (stream merging, clear_output, update_display_data by display id)
 * applies them. The messages of cells that update displays come at their recorded times; gaps
 * longer than `maxGap` ms (a cell computing with nothing to show) are shortened to `maxGap`, every
 * shorter gap is kept. Other cells' messages are applied at once, in order.
 */
async function replay(messages, { maxGap = 1000, scope = 'replay' } = {}) {
  const host = document.createElement('section');
  host.dataset.scope = scope;
  document.body.appendChild(host);
  const timed = new Set(messages.filter((m) => m.msg_type === 'update_display_data').map((m) => m.cell));
  const futures = new Map();
  const start = performance.now();
  let clock = 0; // replay time of the previous timed message
  let last; // its recorded time
  let applied = 0;
  for (const m of messages) {
    if (timed.has(m.cell)) {
      clock += last === undefined ? 0 : Math.min(maxGap, Math.max(0, m.t - last));
      last = m.t;
      const wait = start + clock - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    let future = futures.get(m.cell);
    if (!future) {
      const model = new OutputAreaModel({ trusted: true }); // outputs made in the session are trusted
      const area = new OutputArea({ model, rendermime });
      Widget.attach(area, cellBox(host, m.cell));
      areas.set(`${scope}/${m.cell}`, area);
      let finish;
      future = { done: new Promise((r) => (finish = r)), dispose() {}, finish };
      area.future = future; // the area sets future.onIOPub to its own handler
      futures.set(m.cell, future);
    }
    future.onIOPub({ header: { msg_type: m.msg_type }, parent_header: {}, metadata: {}, content: m.content, channel: 'iopub' });
    applied++;
  }
  for (const f of futures.values()) f.finish();
  await settle();
  return { applied, ms: performance.now() - start };
}

/** vega scenegraph: items of data marks (role "mark"), by mark type. */
function vegaMarks(view) {
  const count = {};
  const walk = (mark) => {
    if (!mark || !mark.items) return;
    for (const item of mark.items) {
      if (mark.marktype === 'group') (item.items || []).forEach(walk);
      else if (mark.role === 'mark') count[mark.marktype] = (count[mark.marktype] || 0) + 1;
    }
  };
  walk(view.scenegraph().root);
  return count;
}

/** Pixels of a canvas that are not (near) white or transparent. */
function canvasInk(canvas) {
  const ctx = canvas.getContext('2d');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) n++;
  return n;
}

/** What each output of a scope shows: the mimetype JupyterLab chose and what it drew. */
function describe(scope) {
  const out = [];
  for (const [key, area] of areas) {
    if (!key.startsWith(`${scope}/`)) continue;
    const cell = Number(key.slice(scope.length + 1));
    area.widgets.forEach((child, index) => {
      const node = child.node.querySelector('[data-lab-mime]');
      const model = area.model.get(index);
      const d = { cell, index, type: model.type, mimes: Object.keys(model.data), mime: node ? node.dataset.labMime : null, text: node ? node.textContent.slice(0, 200) : '' };
      if (node && /vegalite/.test(d.mime)) {
        const renderer = child.widgets ? child.widgets.find((w) => w.node === node) : null;
        const result = renderer && renderer._result;
        const canvas = node.querySelector('canvas');
        d.vega = {
          marks: result ? vegaMarks(result.view) : null,
          ink: canvas ? canvasInk(canvas) : 0,
          canvas: canvas ? [canvas.width, canvas.height] : null,
          font: result ? (result.spec.config && result.spec.config.font) || null : null,
          // the spec the view was drawn from, against the model's (a late render of an older update would differ)
          drawnSpec: result ? JSON.stringify(result.spec) : null,
          modelSpec: JSON.stringify(model.data[d.mime]),
          embeds: node.querySelectorAll('.vega-embed').length,
        };
      }
      if (node && node.querySelector('.seqlab-plotly')) {
        const el = node.querySelector('.seqlab-plotly');
        const fallback = node.querySelector('.seqlab-plotly-fallback');
        d.plotly = {
          drawn: el.classList.contains('js-plotly-plot') && !!el.querySelector('.main-svg'),
          traces: el.querySelectorAll('.main-svg .trace').length,
          gl: [...el.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0).length,
          data: Array.isArray(el.data) ? el.data.length : 0,
          fallback: fallback ? { visible: fallback.getClientRects().length > 0 && getComputedStyle(fallback).visibility !== 'hidden', text: fallback.textContent } : null,
          height: el.getBoundingClientRect().height,
        };
      }
      if (node && d.mime === 'image/png') {
        const img = node.querySelector('img');
        d.image = img ? { complete: img.complete, naturalWidth: img.naturalWidth } : null;
      }
      out.push(d);
    });
  }
  return out;
}

/** Mark every rendered element whose own text has Hangul (for the font check); returns how many. */
function markHangul(scope) {
  const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/;
  const section = document.querySelector(`section[data-scope="${scope}"]`);
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  const marked = new Set();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!HANGUL.test(t.data) || !el || el.closest('script, style')) continue;
    if (!el.getClientRects().length) continue; // not laid out: nothing drawn
    marked.add(el);
  }
  let n = 0;
  for (const el of marked) {
    el.dataset.hangul = String(n++);
    // precomposed syllables in its own text: each is one glyph of whatever font draws it
    el.dataset.syllables = String([...el.childNodes].filter((c) => c.nodeType === 3).map((c) => c.data).join('').match(/[\uac00-\ud7a3]/g)?.length ?? 0);
  }
  return n;
}

/**
 * Canvas text (vega draws with a canvas in JupyterLab, so the DOM holds no text to ask about):
 * whether `font` draws Hangul as real glyphs (two different words differ; missing-glyph boxes
 * would all look the same) and as `reference` draws it.
 */
function canvasHangul(font, reference) {
  const draw = (f, text) => {
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 40;
    const ctx = c.getContext('2d');
    ctx.font = f;
    ctx.fillStyle = '#000';
    ctx.fillText(text, 4, 28);
    return Array.from(ctx.getImageData(0, 0, c.width, c.height).data).join(',');
  };
  const a = draw(font, '펼침'), b = draw(font, '손실');
  return { distinct: a !== b, inked: /[1-9]/.test(a), sameAsReference: a === draw(reference, '펼침') };
}

/** The output models of a scope in nbformat's shape (transient display ids left out), by cell. */
function modelJSON(scope) {
  const out = {};
  for (const [key, area] of areas) {
    if (!key.startsWith(`${scope}/`)) continue;
    out[key.slice(scope.length + 1)] = area.model.toJSON().map(({ transient, ...o }) => o);
  }
  return out;
}

const fetchJSON = async (url) => (await fetch(url)).json();
const fetchLines = async (url) => (await (await fetch(url)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));

window.lab = {
  renderNotebook: async (url, opts) => renderNotebook(await fetchJSON(url), opts),
  replay: async (url, opts) => replay(await fetchLines(url), opts),
  renderNotebookJSON: renderNotebook,
  describe,
  modelJSON,
  markHangul,
  canvasHangul,
  settle,
  ready: true,
};
