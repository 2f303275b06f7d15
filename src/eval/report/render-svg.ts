/**
 * Renders a vega-lite spec to an SVG string in Node: vega-lite compiles it to a vega spec, vega
 * lays it out headless and serialises the scene graph. No browser, no canvas, no network.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * The SVG markup of a vega-lite chart, ready to inline in HTML (namespace attributes dropped:
 * inline SVG in HTML does not need them, and the report then holds no URL at all).
 *
 * @example
 * const svg = await renderSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 * @throws vega's own error for an invalid spec.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile(spec).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/\s+xmlns(?::xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}
