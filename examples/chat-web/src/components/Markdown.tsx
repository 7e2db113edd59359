import type { ReactNode } from 'react'

/**
 * The markdown the answers use: headings, lists, tables, fenced code, bold and inline code. Rendered as React
 * elements, so no HTML in a message is ever interpreted.
 */
export function Markdown({ text }: { text: string }) {
  return <>{blocks(text.split('\n'))}</>
}

type Block =
  | { kind: 'code'; lines: string[] }
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'table'; rows: string[][] }
  | { kind: 'paragraph'; lines: string[] }

function parse(lines: readonly string[]): Block[] {
  const out: Block[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i] ?? ''
    if (line.startsWith('```')) {
      const code: string[] = []
      i++
      while (i < lines.length && !(lines[i] ?? '').startsWith('```')) code.push(lines[i++] ?? '')
      i++
      out.push({ kind: 'code', lines: code })
    } else if (/^#{1,6}\s/.test(line)) {
      const level = line.indexOf(' ')
      out.push({ kind: 'heading', level, text: line.slice(level + 1) })
      i++
    } else if (/^\s*([-*]|\d+\.)\s/.test(line)) {
      const ordered = /^\s*\d+\./.test(line)
      const items: string[] = []
      while (i < lines.length && /^\s*([-*]|\d+\.)\s/.test(lines[i] ?? ''))
        items.push((lines[i++] ?? '').replace(/^\s*([-*]|\d+\.)\s/, ''))
      out.push({ kind: 'list', ordered, items })
    } else if (line.trimStart().startsWith('|')) {
      const rows: string[][] = []
      while (i < lines.length && (lines[i] ?? '').trimStart().startsWith('|')) {
        const cells = (lines[i++] ?? '')
          .trim()
          .replace(/^\||\|$/g, '')
          .split('|')
          .map((c) => c.trim())
        if (!cells.every((c) => /^:?-{2,}:?$/.test(c))) rows.push(cells)
      }
      out.push({ kind: 'table', rows })
    } else if (line.trim() === '') {
      i++
    } else {
      const paragraph: string[] = []
      while (
        i < lines.length &&
        (lines[i] ?? '').trim() !== '' &&
        !/^(```|#{1,6}\s|\s*([-*]|\d+\.)\s|\s*\|)/.test(lines[i] ?? '')
      )
        paragraph.push(lines[i++] ?? '')
      out.push({ kind: 'paragraph', lines: paragraph })
    }
  }
  return out
}

function blocks(lines: readonly string[]): ReactNode[] {
  return parse(lines).map((block, key) => {
    switch (block.kind) {
      case 'code':
        return (
          <pre key={key}>
            <code>{block.lines.join('\n')}</code>
          </pre>
        )
      case 'heading':
        return block.level <= 2 ? <h3 key={key}>{inline(block.text)}</h3> : <h4 key={key}>{inline(block.text)}</h4>
      case 'list': {
        const items = block.items.map((item, index) => <li key={index}>{inline(item)}</li>)
        return block.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>
      }
      case 'table': {
        const [head, ...body] = block.rows
        return (
          <table key={key} className="md-table">
            {head !== undefined && (
              <thead>
                <tr>
                  {head.map((cell, index) => (
                    <th key={index}>{inline(cell)}</th>
                  ))}
                </tr>
              </thead>
            )}
            <tbody>
              {body.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, index) => (
                    <td key={index}>{inline(cell)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
      case 'paragraph':
        return (
          <p key={key} className="plain">
            {inline(block.lines.join('\n'))}
          </p>
        )
    }
  })
}

/** `**bold**` and `` `code` ``. */
function inline(text: string): ReactNode[] {
  return text.split(/(\*\*[^*]+\*\*|`[^`]+`)/).map((part, index) => {
    if (part.startsWith('**') && part.endsWith('**') && part.length > 4)
      return <strong key={index}>{part.slice(2, -2)}</strong>
    if (part.startsWith('`') && part.endsWith('`') && part.length > 2)
      return <code key={index}>{part.slice(1, -1)}</code>
    return part
  })
}
