import { useEffect, useState } from 'react'

/** Client-side navigation within /console/ (history API; the server answers each page path with the app). */
export function navigate(to: string): void {
  history.pushState(null, '', to)
  dispatchEvent(new PopStateEvent('popstate'))
}

export function useLocation(): URL {
  const [href, setHref] = useState(location.href)
  useEffect(() => {
    const update = () => setHref(location.href)
    addEventListener('popstate', update)
    return () => removeEventListener('popstate', update)
  }, [])
  return new URL(href)
}

/** A same-origin link that navigates without reloading (modifier-clicks open as usual). */
export function linkHandler(to: string) {
  return (event: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; preventDefault(): void }) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
    event.preventDefault()
    navigate(to)
  }
}
