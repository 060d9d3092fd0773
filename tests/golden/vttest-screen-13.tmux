                   Graphic rendition test pattern:


vanilla                                [1mbold

[0m[39m[49m     [4munderline[0m[39m[49m                              [1;4mbold underline

[0;5m[39m[49mblink[0m[39m[49m                                  [1;5mbold blink

[0m[39m[49m     [4;5munderline blink[0m[39m[49m                        [1;4;5mbold underline blink

[0;7m[39m[49mnegative[0m[39m[49m                               [1;7mbold negative

[0m[39m[49m     [4;7munderline negative[0m[39m[49m                     [1;4;7mbold underline negative

[0;5;7m[39m[49mblink negative[0m[39m[49m                         [1;5;7mbold blink negative

[0m[39m[49m     [4;5;7munderline blink negative[0m[39m[49m               [1;4;5;7mbold underline blink negative




[0m[39m[49mDark background. Push <RETURN>

cursor=30,22 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
