/**
 * Theming helpers. Pages style themselves with `var(--vscode-*)` only (VS Code sets those
 * variables on <html> and the theme kind as a class on <body>); these helpers are for the
 * few places that need the values themselves, such as an exported SVG that must render
 * outside VS Code.
 */

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** The current theme kind, from the class VS Code puts on <body>. */
export function themeKind(): ThemeKind {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  return c.contains('vscode-light') ? 'light' : 'dark';
}

/** Calls `listener` whenever the theme changes (VS Code swaps the body's classes). */
export function onThemeChange(listener: (kind: ThemeKind) => void): void {
  new MutationObserver(() => listener(themeKind())).observe(document.body, {
    attributes: true,
    attributeFilter: ['class'],
  });
}

/** Presentation properties an SVG element gets from CSS, copied into attributes on export. */
const SVG_PRESENTATION = [
  'fill',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
] as const;

/**
 * A standalone copy of a rendered SVG: every element's computed colours and fonts are
 * written as attributes, so the file looks the same without VS Code's CSS variables; the
 * background is the editor's.
 */
export function standaloneSvg(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const source = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const target = [copy, ...Array.from(copy.querySelectorAll('*'))];
  source.forEach((element, i) => {
    const style = getComputedStyle(element);
    const out = target[i]!;
    for (const property of SVG_PRESENTATION) {
      const value = style.getPropertyValue(property);
      if (value) out.setAttribute(property, value);
    }
    out.removeAttribute('class');
    out.removeAttribute('tabindex');
  });
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const background = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  background.setAttribute('width', '100%');
  background.setAttribute('height', '100%');
  background.setAttribute('fill', getComputedStyle(document.body).backgroundColor);
  copy.insertBefore(background, copy.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}
