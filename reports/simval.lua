-- simval's Pandoc filter for the built-in rendering route (Quarto does all of this itself).
--
-- 1. Quarto callouts (::: {.callout-note title="..."}) become a titled box: a <div class="callout ...">
--    in HTML, a #simval-callout(...)[...] block in Typst (defined in report.typ).
-- 2. Quarto conditional content (.content-visible / .content-hidden with when-format or unless-format)
--    is kept or dropped for the output format at hand.
--
-- The title is fixed report text; it is inserted as a Str, so Pandoc's writers escape it.

local KINDS = { note = true, tip = true, warning = true, important = true, caution = true }

local function is_html()
  return FORMAT:match("html") ~= nil
end

local function format_matches(name)
  if name == nil then return nil end
  if name == "html" then return is_html() end
  if name == "pdf" or name == "typst" then return FORMAT == "typst" end
  return FORMAT == name
end

local function conditional(el)
  local visible = el.classes:includes("content-visible")
  local hidden = el.classes:includes("content-hidden")
  if not visible and not hidden then return nil end
  local when = format_matches(el.attributes["when-format"])
  local unless = format_matches(el.attributes["unless-format"])
  local show
  if visible then
    show = (when == nil or when) and not (unless == true)
  else
    show = not ((when == nil or when) and not (unless == true))
  end
  if show then return el.content end
  return {}
end

local function callout(el)
  local kind
  for _, class in ipairs(el.classes) do
    local k = class:match("^callout%-(%a+)$")
    if k and KINDS[k] then kind = k end
  end
  if not kind then return nil end
  local title = el.attributes["title"] or ""
  local heading = pandoc.Para({ pandoc.Strong({ pandoc.Str(title) }) })
  if is_html() then
    local body = pandoc.Div(el.content, pandoc.Attr("", { "callout-body" }))
    local head = pandoc.Div({ heading }, pandoc.Attr("", { "callout-title" }))
    return pandoc.Div({ head, body }, pandoc.Attr(el.identifier, { "callout", "callout-" .. kind }))
  end
  if FORMAT == "typst" then
    local blocks = { pandoc.RawBlock("typst", '#simval-callout(kind: "' .. kind .. '")[') , heading }
    for _, block in ipairs(el.content) do table.insert(blocks, block) end
    table.insert(blocks, pandoc.RawBlock("typst", "]"))
    return blocks
  end
  return el.content
end

function Div(el)
  local kept = conditional(el)
  if kept ~= nil then return kept end
  return callout(el)
end
