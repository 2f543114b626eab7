// The widget's CSS, scoped by its shadow root: `:host { all: initial }` stops the page's styles from
// reaching in, and nothing here can reach out.
export const STYLES = `
:host{all:initial;--ec-color:#2563eb;position:fixed;z-index:2147483000;bottom:16px;right:16px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111}
:host(.left){right:auto;left:16px}
*{box-sizing:border-box}
button{font:inherit;cursor:pointer;border:0}
button:focus-visible,input:focus-visible,textarea:focus-visible,.log:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.launcher{display:block;margin-left:auto;background:var(--ec-color);color:#fff;border-radius:999px;padding:12px 20px;font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.25)}
:host(.left) .launcher{margin-left:0}
.panel{position:absolute;bottom:60px;right:0;width:min(380px,calc(100vw - 32px));height:min(560px,calc(100vh - 100px));display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden}
:host(.left) .panel{right:auto;left:0}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--ec-color);color:#fff}
header div{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:600}
.status{margin:0;font-size:12px;min-height:1em}
.human,.close{background:rgba(0,0,0,.28);color:#fff;border:1px solid rgba(255,255,255,.55);border-radius:8px;padding:6px 10px}
.close{font-size:18px;line-height:1;padding:4px 10px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f7f7f8}
.msg{max-width:85%;padding:8px 12px;border-radius:12px;background:#fff;border:1px solid #e5e7eb;overflow-wrap:anywhere}
.msg p{margin:0;white-space:pre-wrap}
.msg.user{align-self:flex-end;background:var(--ec-color);color:#fff;border-color:transparent}
.msg.pending{opacity:.6}
.msg.agent{border-color:var(--ec-color)}
.msg.system{align-self:center;background:none;border:0;color:#555;font-size:13px;text-align:center}
.name{display:block;font-size:12px;font-weight:600;color:#444;margin-bottom:2px}
.sources{margin:6px 0 0;padding:6px 0 0 16px;border-top:1px solid #eee;font-size:12px}
.sources a{color:#1d4ed8}
.dots{display:flex;gap:4px;padding:0 16px 8px;background:#f7f7f8}
.dots[hidden]{display:none}
.dots span{width:7px;height:7px;border-radius:50%;background:#9ca3af;animation:b 1s infinite ease-in-out}
.dots span:nth-child(2){animation-delay:.15s}.dots span:nth-child(3){animation-delay:.3s}
@keyframes b{0%,80%,100%{transform:translateY(0);opacity:.5}40%{transform:translateY(-4px);opacity:1}}
@media (prefers-reduced-motion:reduce){.dots span{animation:none}}
.notice{margin:0;padding:6px 12px;font-size:13px;background:#fef3c7;color:#92400e}
.notice[hidden]{display:none}
form{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}
textarea{flex:1;min-width:0;resize:none;font:inherit;padding:8px 10px;border:1px solid #d1d5db;border-radius:10px;min-height:40px;max-height:120px}
form>button{height:40px}
.send{background:var(--ec-color);color:#fff;border-radius:10px;padding:0 14px;font-weight:600}
.mic{display:flex;align-items:center;justify-content:center;background:#f3f4f6;color:#374151;border-radius:10px;min-width:44px}
.mic[hidden]{display:none}
.mic.recording{background:#dc2626;color:#fff}
.msg p:empty{display:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.clip{background:none;color:#374151;border-radius:10px;padding:0 6px;display:flex;align-items:center}
.tray{list-style:none;margin:0;padding:6px 10px 0;display:flex;flex-wrap:wrap;gap:6px;background:#fff;border-top:1px solid #e5e7eb}
.tray[hidden]{display:none}
.chip{display:flex;align-items:center;gap:6px;max-width:100%;padding:4px 8px;border-radius:999px;background:#eef2ff;color:#1e3a8a;font-size:13px}
.chip span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:200px}
.chip progress{width:60px}
.unstage{background:none;color:#1e3a8a;font-size:16px;line-height:1;padding:0 2px}
.files{list-style:none;margin:6px 0 0;padding:0;display:flex;flex-direction:column;gap:4px}
.file{display:flex;flex-direction:column;align-items:flex-start;gap:4px;max-width:100%;background:rgba(0,0,0,.06);color:inherit;border-radius:8px;padding:6px 8px;font-size:13px;text-align:left;text-decoration:underline}
.msg.user .file{background:rgba(0,0,0,.22)}
.preview{display:block;max-width:100%;height:auto;max-height:180px;border-radius:6px;background:#e5e7eb}
@media (max-width:480px){:host{bottom:12px;right:12px}.panel{position:fixed;inset:0;width:100vw;height:100%;border-radius:0}}
`;
