/** The page's only style sheet, served at /reports/page.css (the page's CSP allows styles from this server alone). */
export const PAGE_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 44rem; padding: 0 1rem; color: #1d232b; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
p.who { color: #4a5563; margin-top: 0; }
form { margin: 1rem 0; }
fieldset { border: 1px solid #cfd6de; border-radius: 6px; margin: 0 0 1rem; padding: .6rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
label { display: block; margin: .6rem 0 .2rem; font-weight: 500; }
label.inline { display: inline-block; margin: .2rem 1rem .2rem 0; font-weight: normal; }
input[type=text], input[type=password], input[type=date], select { font: inherit; padding: .35rem .5rem; width: 100%; box-sizing: border-box; }
.row { display: flex; gap: 1rem; }
.row > div { flex: 1; }
button { font: inherit; padding: .45rem 1.2rem; border-radius: 5px; border: 1px solid #1f5fbf; background: #2468cc; color: #fff; cursor: pointer; }
button.plain { background: #fff; color: #1f5fbf; }
.error { border: 1px solid #c0392b; background: #fdecea; color: #7b1d14; padding: .6rem .9rem; border-radius: 5px; }
.error code { font-weight: 600; }
.hint { color: #4a5563; font-size: .9rem; }
`;
