/* Search results: maths as text in the snippets (conf.py: html_js_files).
 *
 * Sphinx's search page shows, under each result, a snippet of the page's text around
 * the words searched for. It takes that text from the page's HTML, where a formula is
 * still the TeX that MathJax renders in the browser ("\(y = \mathrm{relu}(F(x))\)"),
 * so without this file the snippets show raw TeX. Before Sphinx reads a page's text,
 * each formula is replaced by a plain-text reading of it ("y = relu(F(x))"):
 * texToText below does that for the TeX these pages use (names, fractions, Greek
 * letters, sums, relations); a command it does not know keeps its name.
 */
"use strict";

const TEX_SYMBOLS = {
  cdot: "\u00b7", times: "\u00d7", div: "\u00f7", pm: "\u00b1", mp: "\u2213",
  le: "\u2264", leq: "\u2264", ge: "\u2265", geq: "\u2265", ne: "\u2260", neq: "\u2260",
  approx: "\u2248", equiv: "\u2261", sim: "~", propto: "\u221d",
  to: "\u2192", rightarrow: "\u2192", leftarrow: "\u2190", mapsto: "\u21a6",
  Rightarrow: "\u21d2", implies: "\u21d2", iff: "\u21d4",
  in: "\u2208", notin: "\u2209", subset: "\u2282", subseteq: "\u2286", cup: "\u222a",
  cap: "\u2229", forall: "\u2200", exists: "\u2203",
  sum: "\u03a3", prod: "\u03a0", int: "\u222b", partial: "\u2202", nabla: "\u2207",
  infty: "\u221e", odot: "\u2299", otimes: "\u2297", oplus: "\u2295", circ: "\u2218",
  ldots: "\u2026", dots: "\u2026", cdots: "\u22ef", vdots: "\u22ee",
  lfloor: "\u230a", rfloor: "\u230b", lceil: "\u2308", rceil: "\u2309",
  langle: "\u27e8", rangle: "\u27e9", mid: "|", vert: "|", Vert: "\u2016", "|": "\u2016",
  top: "\u1d40", intercal: "\u1d40", prime: "\u2032", star: "*", ast: "*",
  alpha: "\u03b1", beta: "\u03b2", gamma: "\u03b3", delta: "\u03b4", epsilon: "\u03b5",
  varepsilon: "\u03b5", zeta: "\u03b6", eta: "\u03b7", theta: "\u03b8", iota: "\u03b9",
  kappa: "\u03ba", lambda: "\u03bb", mu: "\u03bc", nu: "\u03bd", xi: "\u03be", pi: "\u03c0",
  rho: "\u03c1", sigma: "\u03c3", tau: "\u03c4", phi: "\u03c6", varphi: "\u03c6",
  chi: "\u03c7", psi: "\u03c8", omega: "\u03c9", Gamma: "\u0393", Delta: "\u0394",
  Theta: "\u0398", Lambda: "\u039b", Pi: "\u03a0", Sigma: "\u03a3", Phi: "\u03a6",
  Psi: "\u03a8", Omega: "\u03a9",
  // spacing and sizing: nothing to read
  ",": " ", ";": " ", ":": " ", "!": "", " ": " ", quad: " ", qquad: " ",
  left: "", right: "", big: "", Big: "", bigg: "", Bigg: "", bigl: "", bigr: "",
  Bigl: "", Bigr: "", displaystyle: "", textstyle: "", limits: "", nolimits: "",
  "{": "\u0001", "}": "\u0002", "_": "_", "%": "%", "&": "&", "#": "#", "$": "$",
};

// Commands whose argument is read as it stands: \mathrm{relu} -> relu.
const TEX_TEXT = /\\(?:mathrm|text|textrm|textit|textbf|operatorname|mathbf|mathit|mathsf|mathtt|mathcal|mathbb|boldsymbol|bm|hat|bar|tilde|vec|overline|underline|underbrace|overbrace)\s*\{([^{}]*)\}/g;

const texToText = (tex) => {
  let s = tex.trim();
  s = s.replace(/^\\\(|\\\)$/g, "").replace(/^\\\[|\\\]$/g, "");   // \( \) and \[ \]
  s = s.replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ").replace(/\\\\/g, "; ").replace(/&/g, " ");
  let before;
  do {                                  // innermost groups first, until nothing changes
    before = s;
    s = s.replace(TEX_TEXT, "$1");
    s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, (_, a, b) => {
      const wrap = (t) => (/^[\w.\u0370-\u03ff]+$/u.test(t.trim()) ? t.trim() : `(${t.trim()})`);
      return `${wrap(a)}/${wrap(b)}`;
    });
    s = s.replace(/\\sqrt\s*\{([^{}]*)\}/g, "\u221a($1)");
    s = s.replace(/\\substack\s*\{([^{}]*)\}/g, "$1");
    s = s.replace(/([_^])\{([^{}]*)\}/g, (_, op, body) => op + body);
  } while (s !== before);
  s = s.replace(/\\([A-Za-z]+|[^A-Za-z])/g, (_, name) =>
    Object.prototype.hasOwnProperty.call(TEX_SYMBOLS, name) ? TEX_SYMBOLS[name] : name);
  s = s.replace(/[{}]/g, "").replace(/~/g, " ").replace(/\u0001/g, "{").replace(/\u0002/g, "}");
  s = s.replace(/([\u2202\u2207])\s+/g, "$1");                  // \partial L -> ∂L
  return s.replace(/\s+/g, " ").replace(/\s+([,.;)\]\u230b\u2309\u27e9])/g, "$1")
    .replace(/([(\[\u230a\u2308\u27e8])\s+/g, "$1").trim();
};

// On the search page: read each formula of a fetched page as text before Sphinx does.
if (typeof Search !== "undefined" && typeof DOMParser !== "undefined") {
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math").forEach((math) => {
      const pad = math.tagName === "SPAN" ? "" : " ";     // a displayed formula is a block
      math.replaceWith(page.createTextNode(pad + texToText(math.textContent) + pad));
    });
    return htmlToText(page.documentElement.outerHTML, anchor);
  };
}

if (typeof module !== "undefined") module.exports = { texToText };   // the tests (node)
