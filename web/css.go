package web

// pageCSS is the one style sheet, inline in every page (so that the report the CLI
// writes stands alone) and allowed by its hash in the Content-Security-Policy.
// Colours meet WCAG AA contrast on white; one column under 600 px; print hides
// navigation and forms.
const pageCSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.5;color:#1a1a1a;background:#fff}
a{color:#0b4f9c}
a:hover{color:#06325f}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
header.site{background:#0b3d73;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header.site a{color:#fff}
header.site .brand{font-weight:700;font-size:1.1rem;text-decoration:none}
header.site nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header.site .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;font-size:.95rem}
header.site form{margin:0}
header.site button{background:transparent;color:#fff;border:1px solid #fff;padding:.3rem .7rem;font-size:.95rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5rem;align-items:start}
.cols>section{min-width:0}
.map-layout{display:grid;grid-template-columns:minmax(0,40rem) minmax(0,1fr);gap:1.5rem;align-items:start}
.map-layout>*{min-width:0}
.filters{display:flex;flex-wrap:wrap;gap:0 1.5rem;align-items:flex-end}
.filters>div{flex:1 1 14rem}
.button.secondary{background:#fff;color:#0b4f9c;margin-top:0}
.button.secondary:hover{background:#e8f0fa;color:#06325f}
summary{cursor:pointer;font-weight:600;padding:.3rem 0}
.narrow{max-width:34rem}
h2.first{margin-top:0}
.card{border:1px solid #c4c4c4;border-radius:.4rem;padding:1rem;background:#fafafa}
label{display:block;font-weight:600;margin:.8rem 0 .2rem}
.hint{display:block;font-weight:400;font-size:.9rem;color:#4a4a4a}
input[type=text],input[type=password],input[type=date],select{width:100%;max-width:28rem;font:inherit;padding:.5rem;border:2px solid #555;border-radius:.25rem;background:#fff;color:#1a1a1a}
fieldset{border:1px solid #c4c4c4;margin:.8rem 0;padding:.3rem .8rem .8rem}
legend{font-weight:600;padding:0 .3rem}
label.inline{display:flex;gap:.4rem;align-items:center;font-weight:400}
fieldset label{display:inline-flex;gap:.4rem;align-items:center;font-weight:400;margin:.4rem 1rem 0 0}
input[type=radio],input[type=checkbox]{width:1.2rem;height:1.2rem}
button,.button{display:inline-block;font:inherit;font-weight:600;background:#0b4f9c;color:#fff;border:2px solid #0b4f9c;border-radius:.25rem;padding:.55rem 1.2rem;margin-top:1rem;cursor:pointer;text-decoration:none}
button:hover,.button:hover{background:#06325f;color:#fff}
.msg{border-left:6px solid;padding:.8rem 1rem;margin:0 0 1rem;border-radius:.25rem}
.msg p{margin:.2rem 0}
.msg.ok{background:#e6f4ea;border-color:#146c2e;color:#0d3b1c}
.msg.ko{background:#fdecea;border-color:#a4161a;color:#5c0b0e}
.msg strong{font-size:1.1rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid #d0d0d0;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f7}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
dl.figures{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;margin:0}
dl.figures dt{font-weight:600}
dl.figures dd{margin:0;font-variant-numeric:tabular-nums}
.big{font-size:2rem;font-weight:700}
.downloads{display:flex;flex-wrap:wrap;gap:.5rem 1rem;padding:0;list-style:none}
.status{display:inline-block;padding:0 .4rem;border-radius:.2rem;font-size:.9rem;border:1px solid}
.status.good{color:#0d3b1c;background:#e6f4ea;border-color:#146c2e}
.status.wait{color:#4d3300;background:#fff4d6;border-color:#8a5a00}
.status.bad{color:#5c0b0e;background:#fdecea;border-color:#a4161a}
tr.flag td{background:#fdecea}
figure{margin:0}
figcaption{font-size:.9rem;color:#333}
svg{max-width:100%;height:auto}
svg#carte{min-width:30rem}
svg#classement{max-width:none}
svg text{font-family:inherit}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;padding:0;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.sw{display:inline-block;width:1rem;height:1rem;border:1px solid #333}
.print-only{display:none}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer.site{max-width:72rem;margin:2rem auto 1rem;padding:0 1rem;font-size:.85rem;color:#4a4a4a}
@media (max-width:1000px){
 .map-layout{grid-template-columns:minmax(0,1fr)}
}
@media (max-width:600px){
 .cols{grid-template-columns:minmax(0,1fr)}
 main{padding:.75rem}
 h1{font-size:1.35rem}
 header.site .who{margin-left:0}
 input[type=text],input[type=password],input[type=date],select{max-width:none}
 button,.button{width:100%;text-align:center}
 .downloads li{flex:1 1 100%}
 td,th{padding:.3rem}
 dl.figures{grid-template-columns:minmax(0,1fr)}
 dl.figures dd{margin-bottom:.4rem}
}
@media print{
 header.site,.noprint,form,.skip,footer.site{display:none!important}
 .print-only{display:block}
 body{font-size:10.5pt;color:#000}
 main{max-width:none;padding:0}
 a{color:#000;text-decoration:none}
 .card{border:none;padding:0;background:none}
 .cols{display:block}
 table{page-break-inside:auto}
 tr{page-break-inside:avoid}
 h2{page-break-after:avoid}
 th{background:#eee!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`
