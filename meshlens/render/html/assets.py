"""The report's inline style and script (sorting and filtering only; the page works without it)."""

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h1{margin-bottom:0}.meta{color:#555}
table{border-collapse:collapse;margin:.5em 0;font-size:13px}th,td{border:1px solid #ccc;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#eee}.js table.sortable th{cursor:pointer}
th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}
tr.problem td{background:#fdecea}
details.check{margin:.6em 0;border-left:4px solid #999;padding-left:.5em}details.error{border-color:#c62828}
details.warning{border-color:#ef6c00}details.info{border-color:#1565c0}code{background:#f4f4f4}
.k{padding:0 4px;color:#fff}.k.expired{background:#c62828}.k.expiring{background:#ef6c00}.k.valid{background:#2e7d32}
.note{color:#555;font-style:italic}p.item{margin:.1em 0 .1em 1em}pre{background:#f8f8f8;padding:.5em;overflow:auto}
"""

SCRIPT = """(function(){
document.documentElement.classList.add('js');
document.querySelectorAll('input.filter').forEach(function(box){box.hidden=false;
var t=box.nextElementSibling;box.addEventListener('input',function(){var q=box.value.toLowerCase();
t.querySelectorAll('tbody tr').forEach(function(r){
r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});});
var num=/^[-+]?(\\d+\\.?\\d*|\\.\\d+)(e[-+]?\\d+)?%?$/i;
var natural=new Intl.Collator(undefined,{numeric:true,sensitivity:'base'});
function cmp(x,y){x=x.trim();y=y.trim();
if(num.test(x)&&num.test(y)){return parseFloat(x)-parseFloat(y);}return natural.compare(x,y);}
document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){
var t=th.closest('table'),b=t.tBodies[0],rows=Array.from(b.rows),col=th.cellIndex,
asc=th.getAttribute('aria-sort')!=='ascending';
th.parentNode.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',asc?'ascending':'descending');
rows.sort(function(a,c){return cmp(a.cells[col].textContent,c.cells[col].textContent)*(asc?1:-1);});
rows.forEach(function(r){b.appendChild(r);});});});
})();
"""
