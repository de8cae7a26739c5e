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
