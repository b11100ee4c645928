// A limited stand-in for axe-core, run in the page when axe-playwright-python is not
// installed: the checks below are a subset of axe's rules (html-has-lang, image-alt,
// label, button-name, link-name, duplicate-id-aria, color-contrast, landmark-one-main,
// page-has-heading-one), each reported as "<rule>: <what>". It returns problems; it
// changes nothing in the page.
() => {
  const problems = [];
  const visible = (el) => {
    // The content of a closed <details> is not rendered (its summary is).
    const closed = el.closest("details:not([open])");
    if (closed && !el.closest("summary")) return false;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const describe = (el) => {
    const id = el.id ? "#" + el.id : "";
    const text = (el.textContent || "").trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}> "${text}"`;
  };
  const labelledBy = (el) =>
    (el.getAttribute("aria-labelledby") || "")
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "")
      .join(" ")
      .trim();
  const accessibleText = (el) =>
    (el.getAttribute("aria-label") || "").trim() ||
    labelledBy(el) ||
    (el.innerText || el.textContent || "").trim() ||
    Array.from(el.querySelectorAll("img[alt]")).map((img) => img.alt).join(" ").trim() ||
    (el.getAttribute("title") || "").trim();

  if (!document.documentElement.getAttribute("lang")) problems.push("html-has-lang: no lang");
  if (document.querySelectorAll("main, [role=main]").length !== 1)
    problems.push("landmark-one-main: not exactly one main landmark");
  if (!document.querySelector("h1")) problems.push("page-has-heading-one: no h1");

  document.querySelectorAll("img").forEach((img) => {
    if (!img.hasAttribute("alt") && img.getAttribute("role") !== "presentation")
      problems.push("image-alt: " + describe(img));
  });

  document.querySelectorAll("input, select, textarea").forEach((field) => {
    const type = (field.getAttribute("type") || "").toLowerCase();
    if (["hidden", "submit", "button", "reset", "image"].includes(type) || !visible(field)) return;
    const byFor = field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
    const named =
      (byFor && byFor.textContent.trim()) ||
      (field.closest("label") && field.closest("label").textContent.trim()) ||
      (field.getAttribute("aria-label") || "").trim() ||
      labelledBy(field) ||
      (field.getAttribute("title") || "").trim();
    if (!named) problems.push("label: " + describe(field) + " name=" + field.name);
  });

  document.querySelectorAll("button, a[href], [role=button]").forEach((el) => {
    if (visible(el) && !accessibleText(el))
      problems.push((el.tagName === "A" ? "link-name: " : "button-name: ") + describe(el));
  });

  const seen = new Map();
  document.querySelectorAll("[id]").forEach((el) => seen.set(el.id, (seen.get(el.id) || 0) + 1));
  document.querySelectorAll("[for], [aria-labelledby], [aria-describedby], [aria-controls]").forEach((el) => {
    ["for", "aria-labelledby", "aria-describedby", "aria-controls"].forEach((attr) => {
      (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean).forEach((id) => {
        if ((seen.get(id) || 0) > 1) problems.push(`duplicate-id-aria: #${id}`);
      });
    });
  });

  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(",").map((p) => parseFloat(p));
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const luminance = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage && style.backgroundImage !== "none") return null; // cannot tell
      const colour = parse(style.backgroundColor);
      if (colour && colour.a >= 0.99) return colour;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const checked = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || checked.has(el) || !node.textContent.trim() || !visible(el)) continue;
    checked.add(el);
    if (el.closest("[aria-hidden=true], .visually-hidden, .skip-link, script, style, noscript")) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    const bg = background(el);
    if (!fg || !bg || fg.a < 0.99) continue;
    const l1 = luminance(fg), l2 = luminance(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5))
      problems.push(`color-contrast: ${ratio.toFixed(2)}:1 for ${describe(el)}`);
  }
  return problems;
}
