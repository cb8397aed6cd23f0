// The entry page's print button (a file: the Content-Security-Policy forbids inline handlers).
document.getElementById("print").addEventListener("click", function () { window.print(); });
