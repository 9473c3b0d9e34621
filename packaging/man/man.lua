-- pandoc filter for the man pages made from docs/*.md (packaging/build): the page's title line
-- (its level-1 heading) gives way to the .TH line and the NAME section, the other headings move up
-- a level (## is a section, .SH, in capitals as man(7) has them), links show their text (their
-- targets are files of the source tree), horizontal rules go
function Header(el)
  if el.level == 1 then
    return {}
  end
  el.level = el.level - 1
  if el.level == 1 then
    return pandoc.walk_block(el, { Str = function(s) return pandoc.Str(s.text:upper()) end })
  end
  return el
end

function Link(el)
  return el.content
end

function HorizontalRule(el)
  return {}
end
