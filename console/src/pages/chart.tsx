import type { UsageDay } from '../logic'

/** A bar chart as inline SVG (no chart library): labelled for assistive technology, with the numbers drawn. */
export function BarChart({ title, bars }: { title: string; bars: { label: string; value: number }[] }) {
  const max = Math.max(1, ...bars.map((b) => b.value))
  const step = bars.length > 6 ? 40 : 64
  const width = step * bars.length + 20
  const height = 150
  const summary = `${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}`
  return (
    <figure className="chart">
      <svg role="img" aria-label={summary} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        {bars.map((b, i) => {
          const h = Math.round((b.value / max) * 100)
          const x = 10 + i * step + (step - 28) / 2
          return (
            <g key={b.label}>
              <rect x={x} y={115 - h} width={28} height={h} className="bar" />
              <text x={x + 14} y={110 - h} textAnchor="middle" className="bar-value">
                {b.value}
              </text>
              <text x={x + 14} y={132} textAnchor="middle" className="bar-label">
                {b.label}
              </text>
            </g>
          )
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  )
}

/**
 * Requests per day, one stacked bar a day, one colour a scope (inline SVG, no chart library). The
 * picture is described by its label; the numbers are in a table under it for anyone who cannot see it.
 */
export function UsageChart({ days, scopes, title }: { days: UsageDay[]; scopes: string[]; title: string }) {
  const max = Math.max(1, ...days.map((d) => d.total))
  const step = 16
  const width = step * days.length + 40
  const height = 160
  const busiest = days.reduce((a, b) => (b.total > a.total ? b : a), days[0] ?? { day: '', total: 0, counts: {} })
  const total = days.reduce((n, d) => n + d.total, 0)
  const summary = `${title}: ${total} requests over ${days.length} days${total > 0 ? `, busiest ${busiest.day} with ${busiest.total}` : ''}; ${scopes.map((s) => `${s} ${days.reduce((n, d) => n + (d.counts[s] ?? 0), 0)}`).join(', ')}`
  return (
    <figure className="chart usage-chart">
      <svg role="img" aria-label={summary} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        <text x={4} y={12} className="bar-value">
          {max}
        </text>
        <line x1={30} y1={130} x2={width - 4} y2={130} className="axis" />
        {days.map((d, i) => {
          let y = 130
          const x = 34 + i * step
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.total}${scopes.map((s) => `, ${s} ${d.counts[s] ?? 0}`).join('')}`}</title>
              {scopes.map((s, k) => {
                const h = Math.round(((d.counts[s] ?? 0) / max) * 110)
                y -= h
                return h > 0 ? <rect key={s} x={x} y={y} width={step - 4} height={h} className={`series-${k % 6}`} /> : null
              })}
              {((i % 7 === 0 && days.length - 1 - i >= 4) || i === days.length - 1) && (
                <text x={x + (step - 4) / 2} y={146} textAnchor="middle" className="bar-label">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <figcaption>
        {title}
        {scopes.length > 0 && (
          <ul className="legend" aria-label="Scopes in the chart">
            {scopes.map((s, k) => (
              <li key={s}>
                <span className={`swatch series-${k % 6}`} aria-hidden="true" />
                <code>{s}</code>
              </li>
            ))}
          </ul>
        )}
      </figcaption>
      <details>
        <summary>Requests per day as a table</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {scopes.map((s) => (
                <th key={s} scope="col">
                  {s}
                </th>
              ))}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {days
              .filter((d) => d.total > 0)
              .map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day}</th>
                  {scopes.map((s) => (
                    <td key={s}>{d.counts[s] ?? 0}</td>
                  ))}
                  <td>{d.total}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  )
}
