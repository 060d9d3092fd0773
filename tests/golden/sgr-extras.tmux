[2mdim[0m[39m[49m [4m[58;5;1mulcolour[0m[39m[49m [4:3mcurly[0m[39m[49m [4:2mdouble[0m[39m[49m [5:3mover[0m[39m[49m [8mhidden[0m[39m[49m [4:4m[58;2;10;200;30mdotted























cursor=0,1 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
