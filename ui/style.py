"""Theme and CSS. Fonts are the system's: Noto/Source Han on Linux, PingFang or YaHei elsewhere."""

from __future__ import annotations

import gradio as gr

FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "ui-sans-serif",
    "system-ui",
    "sans-serif",
]
MONO = ["Noto Sans Mono CJK SC", "ui-monospace", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO)


CSS = """
.gradio-container { width: 100% !important; max-width: 1280px !important; margin: 0 auto; }
.dafu-header h1 { margin: 0; font-size: 1.6rem; }
.dafu-header p { margin: .2rem 0 0; color: var(--body-text-color-subdued); }

.dafu-notice { padding: .7rem .9rem; border-radius: 8px; border: 1px solid; line-height: 1.6; }
.dafu-notice ul { margin: 0; padding-left: 1.1rem; }
.dafu-error { background: #fef2f2; border-color: #fca5a5; color: #991b1b; }
.dafu-warn { background: #fffbeb; border-color: #fcd34d; color: #92400e; }
.dafu-info { background: #eff6ff; border-color: #bfdbfe; color: #1e3a8a; }

.dafu-answer { font-size: 1.05rem; line-height: 1.8; white-space: pre-line; margin-bottom: .6rem; }
.dafu-refusal { padding: .7rem .9rem; border-radius: 8px; background: #f1f5f9;
  border-left: 4px solid #64748b; margin-bottom: .6rem; line-height: 1.7; }
.dafu-subhead { font-weight: 600; margin: .8rem 0 .4rem; color: var(--body-text-color-subdued); }
.dafu-turn { padding: .6rem 0 .8rem; border-bottom: 1px solid var(--border-color-primary); }
.dafu-q { font-weight: 600; margin-bottom: .35rem; }
.dafu-q-mark { display: inline-block; margin-right: .45rem; padding: 0 .4rem; border-radius: 4px;
  background: var(--color-accent); color: #fff; font-size: .85rem; }
.dafu-resolved { margin-bottom: .35rem; color: var(--body-text-color-subdued); font-size: .9rem; }
.dafu-pending { opacity: .85; }
.dafu-feedback { display: flex; gap: .4rem; margin-top: .4rem; }
.dafu-fb { padding: .1rem .55rem; border: 1px solid var(--border-color-primary); border-radius: 6px;
  background: transparent; cursor: pointer; font: inherit; }
.dafu-fb[aria-pressed="true"] { border-color: var(--color-accent); background: var(--color-accent-soft); }
.dafu-ref { border: none; background: none; padding: 0 .1rem; color: var(--color-accent);
  cursor: pointer; font: inherit; font-size: .85em; vertical-align: super; }
.dafu-cite { display: block; width: 100%; text-align: left; cursor: pointer; font: inherit;
  margin: 0 0 .5rem; padding: .6rem .8rem; border-radius: 8px; line-height: 1.6;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); }
.dafu-cite:hover, .dafu-cite:focus-visible { border-color: var(--color-accent);
  background: var(--background-fill-secondary); }
.dafu-num { color: var(--color-accent); font-weight: 700; }
.dafu-section { display: inline-block; margin-left: .5rem; font-size: .85em;
  color: var(--body-text-color-subdued); }
.dafu-ocr { display: inline-block; margin-left: .5rem; padding: 0 .35rem; font-size: .75em;
  border: 1px solid var(--color-accent); border-radius: .25rem; color: var(--color-accent); }
.dafu-score { float: right; font-size: .8em; color: var(--body-text-color-subdued); }
.dafu-quote-text { display: block; margin-top: .25rem; color: var(--body-text-color); font-size: .95em; }

div.block.dafu-viewer { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .2rem .9rem; }
.dafu-letter h3 { margin: .6rem 0; font-size: 1.1rem; }
.dafu-meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: 0 0 .8rem;
  font-size: .9em; }
.dafu-meta dt { color: var(--body-text-color-subdued); }
.dafu-meta dd { margin: 0; }
.dafu-letter-text { white-space: pre-wrap; line-height: 1.85; border-top: 1px solid var(--border-color-primary);
  padding-top: .6rem; }
.dafu-mark { background: #fde68a; padding: .1rem 0; border-radius: 3px; box-shadow: 0 0 0 2px #f59e0b; }

.dafu-draft h1 { font-size: 1.35rem; margin: .6rem 0; }
.dafu-draft h2 { font-size: 1.08rem; margin: 1rem 0 .4rem; }
.dafu-draft p { line-height: 1.8; }

.dafu-docs { width: 100%; border-collapse: collapse; font-size: .92em; border: none !important; }
.dafu-docs th, .dafu-docs td { padding: .45rem .6rem; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; text-align: left; vertical-align: top; }
.dafu-docs th { background: var(--background-fill-secondary); white-space: nowrap; }
.dafu-docs tr { border: none !important; }
.dafu-docs tbody tr { cursor: pointer; }
.dafu-docs tbody tr:hover { background: var(--background-fill-secondary); }
.dafu-docs tr.dafu-selected, .dafu-docs tr.dafu-selected:hover { background: #dbeafe; }

.dafu-topic { margin: 1rem 0 .3rem; font-size: 1rem; }
.dafu-ledger { width: 100%; border-collapse: collapse; font-size: .92em; border: none !important; }
.dafu-ledger th, .dafu-ledger td { padding: .4rem .5rem; border: none !important; text-align: left;
  border-bottom: 1px solid var(--border-color-primary) !important; vertical-align: top; }
.dafu-ledger th { background: var(--background-fill-secondary); white-space: nowrap; }
.dafu-ledger td:first-child { width: 45%; }
.dafu-status { white-space: nowrap; font-weight: 600; }
.dafu-done { color: #15803d; }
.dafu-in_progress { color: #b45309; }
.dafu-not_mentioned { color: var(--body-text-color-subdued); }

@media (max-width: 640px) {
  .gradio-container { padding: 0 .4rem !important; }
  .dafu-header h1 { font-size: 1.3rem; }
  .dafu-docs thead { display: none; }
  .dafu-docs tr { display: block; padding: .5rem 0;
    border-bottom: 1px solid var(--border-color-primary) !important; }
  .dafu-docs td { display: flex; gap: .6rem; border: none !important; padding: .1rem .3rem; }
  .dafu-docs td::before { content: attr(data-label); flex: 0 0 3.2em; color: var(--body-text-color-subdued); }
  .dafu-score { float: none; display: block; }
}
"""
