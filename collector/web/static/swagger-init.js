// Swagger UI from this collector's own files (no CDN): the page's CSP allows scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
