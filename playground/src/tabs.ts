/**
 * Tabs as the WAI-ARIA tabs pattern has them: a `tablist` of `tab` buttons,
 * one `tabpanel` shown at a time. Arrow keys move between tabs (and show
 * them), Home and End go to the first and last; only the selected tab is in
 * the Tab order, and Enter or Space on a focused tab shows it (it is a button).
 */

/** Shows the panel of the tab clicked or reached by keyboard; calls `onShow` with the panel shown. */
export function setUpTabs(list: HTMLElement, onShow: (panel: HTMLElement) => void): void {
  const tabs = [...list.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const panelOf = (tab: HTMLElement): HTMLElement => document.getElementById(tab.getAttribute('aria-controls') ?? '') as HTMLElement;
  const select = (chosen: HTMLButtonElement, focus: boolean): void => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      panelOf(tab).hidden = !selected;
    }
    if (focus) chosen.focus();
    onShow(panelOf(chosen));
  };
  for (const tab of tabs) tab.addEventListener('click', () => select(tab, false));
  list.addEventListener('keydown', (event) => {
    const at = tabs.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    select(tabs[(to + tabs.length) % tabs.length] as HTMLButtonElement, true);
  });
  select(tabs.find((t) => t.getAttribute('aria-selected') === 'true') ?? (tabs[0] as HTMLButtonElement), false);
}
